import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from initiatives import checks
from initiatives.services import DATA_FILE
from miam.errors import DomainError


class Command(BaseCommand):
    help = (
        "Liste, pour chaque initiative du catalogue, ses types, ses chiffres et ses affirmations avec la section "
        "de la source d'où chacun vient (Markdown). Avec --sources, retrouve chaque section dans le texte de son "
        "document et vérifie que chaque chiffre y figure."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", help="Autre fichier de données au même format.")
        parser.add_argument("--sources", help="Dossier des textes des documents sources (fichiers .txt).")
        parser.add_argument(
            "--previous", help="Version précédente du fichier de données, pour lister les reclassements."
        )
        parser.add_argument("--output", help="Écrire le rapport dans ce fichier plutôt que sur la sortie standard.")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Échouer si une section ou un chiffre est introuvable (avec --sources).",
        )

    def _read(self, path) -> list:
        try:
            return json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"Fichier illisible : {error}") from error

    def handle(self, *args, **options):
        records = self._read(options.get("file") or DATA_FILE)
        previous = self._read(options["previous"]) if options.get("previous") else None
        library = None
        if options.get("sources"):
            folder = Path(options["sources"])
            if not folder.is_dir():
                raise CommandError(f"Dossier introuvable : {folder}")
            library = checks.Library.from_folder(folder)
        try:
            with translation.override("fr"):  # the catalog's language, whatever the caller's
                text, problems = checks.report(records, library=library, previous=previous)
        except DomainError as error:
            raise CommandError(error.message) from error
        if options.get("output"):
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
        for problem in problems:
            self.stderr.write(problem)
        if library is not None:
            missing = sorted(set(checks.sources.DOCUMENTS) - set(library.documents))
            for code in missing:
                self.stderr.write(f"Document introuvable dans le dossier : {checks.sources.DOCUMENTS[code].title}")
            if options["strict"] and (problems or missing):
                raise CommandError(f"{len(problems) + len(missing)} problème(s) : voir ci-dessus.")
