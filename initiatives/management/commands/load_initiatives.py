from django.core.management.base import BaseCommand, CommandError

from initiatives import services
from miam.errors import DomainError


class Command(BaseCommand):
    help = (
        "Charge ou met à jour le catalogue d'initiatives inspirantes depuis initiatives/data/initiatives.json "
        "(par identifiant ; tout ou rien)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", help="Autre fichier JSON au même format.")

    def handle(self, *args, **options):
        try:
            report = services.initiatives_load(path=options.get("file"))
        except DomainError as error:
            details = "; ".join(f"{k} : {', '.join(v)}" for k, v in error.fields.items())
            raise CommandError(
                f"{error.message}{' (' + details + ')' if details else ''} — rien n'a été écrit."
            ) from error
        self.stdout.write(self.style.SUCCESS(report.summary()))
        if options["verbosity"] > 1:
            for label, slugs in (("créées", report.created), ("mises à jour", report.updated)):
                if slugs:
                    self.stdout.write(f"{label} : {', '.join(slugs)}")
