import importlib

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from actors import demo

# Each app may add its own demo data: a module with ``seed(context) -> str`` (a summary line).
APP_DEMOS = ("offers.demo", "initiatives.demo", "meetings.demo", "agreements.demo")


class Command(BaseCommand):
    help = "Crée les données de démonstration (déterministes) et un compte par rôle."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2024)

    def handle(self, *args, **options):
        # The demo notifies nobody: its e-mails would only clutter the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            self._seed(options)

    def _seed(self, options):
        try:
            context = demo.seed(seed_value=options["seed"])
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        for name in APP_DEMOS:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError:
                continue
            summary = module.seed(context)
            if summary:
                self.stdout.write(summary)
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes. Comptes (mot de passe commun) :"))
        for role, email in context["logins"].items():
            self.stdout.write(f"  {role:<60} {email}")
        self.stdout.write(f"  mot de passe : {context['password']}")
