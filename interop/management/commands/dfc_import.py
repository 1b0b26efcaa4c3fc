"""``manage.py dfc_import catalog.jsonld --by officer@example.org [--organization 12] [--commune 71137]``:
import a Data Food Consortium catalog from a file, as that person (the same rules as the API)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from actors.models import Commune, Organization, User
from interop.services import dfc_catalog
from miam.errors import DomainError


class Command(BaseCommand):
    help = "Importe un catalogue Data Food Consortium (JSON-LD) : fermes et offres, sans doublon."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--by", required=True, help="e-mail de la personne qui importe")
        parser.add_argument("--organization", type=int, help="importer dans cette organisation")
        parser.add_argument("--commune", help="code INSEE des fermes sans adresse lisible")

    def handle(self, *args, path, by, organization=None, commune=None, **options):
        user = User.objects.filter(email__iexact=by).first()
        if user is None:
            raise CommandError(f"Personne inconnue : {by}")
        try:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
        except (OSError, ValueError) as error:
            raise CommandError(f"Fichier illisible : {error}")
        org = Organization.objects.filter(pk=organization).first() if organization else None
        if organization and org is None:
            raise CommandError(f"Organisation inconnue : {organization}")
        place = Commune.objects.filter(insee_code=commune).first() if commune else None
        if commune and place is None:
            raise CommandError(f"Commune inconnue : {commune}")
        try:
            report = dfc_catalog.catalog_import(by=user, document=document, organization=org, commune=place)
        except DomainError as error:
            raise CommandError(error.message)
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
