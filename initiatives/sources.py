"""The documents the catalog is written from, cited by their titles.

An initiative names its sources by document code and section (``{"document": "resolis-2022",
"section": "..."}`` in the data file); the title comes from here, so every page and API answer cites a
document the same way, and never by a file name. ``fingerprint`` is a phrase of the document's own text
that lets the data check (``manage.py catalog_check --sources DIR``) find which text file is which.

Pure Python, no Django: the data migration and the data check import it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceDocument:
    code: str
    title: str
    publisher: str
    year: int | None
    fingerprint: str


DOCUMENTS: dict[str, SourceDocument] = {
    d.code: d
    for d in [
        SourceDocument(
            "miam-livret",
            "Livret méthodologique MIAM, phase 1 (2023-2024)",
            "CIVAM Le Serpolet et Active, Pôle de l'économie solidaire",
            2025,
            "LIVRET MÉTHODOLOGIQUE",
        ),
        SourceDocument(
            "cocolupa-gt4",
            "Cocolupa, groupe de travail n° 4 : « Renforcer le modèle économique des filières solidaires "
            "de l'alimentation » (2022)",
            "Comité national de coordination de la lutte contre la précarité alimentaire",
            2022,
            "#COCOLUPA",
        ),
        SourceDocument(
            "restos-atelier",
            "Restos du Cœur, compte rendu de l'atelier « coopération producteurs locaux »",
            "Les Restaurants du Cœur",
            None,
            "Atelier : coopération producteurs locaux",
        ),
        SourceDocument(
            "tav-synthese",
            "Territoires à VivreS, principaux enseignements du suivi-évaluation du projet (2023)",
            "Territoires à VivreS",
            2023,
            "DU SUIVI-ÉVALUATION DU PROJET",
        ),
        SourceDocument(
            "resolis-2022",
            "RESOLIS, catalogue thématique « Renforcement des circuits alimentaires courts et de proximité » (2022)",
            "RESOLIS",
            2022,
            "Initiatives issues de",
        ),
    ]
}

DOCUMENT_CODES = list(DOCUMENTS)


def citation(document: str, section: str) -> str:
    """« Title, § section », the way the product cites a source."""
    title = DOCUMENTS[document].title if document in DOCUMENTS else document
    return f"{title}, § {section}" if section else title
