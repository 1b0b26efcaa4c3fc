"""Quality labels a farm holds and an offer carries (a need may prefer some): one list, here."""

FARM_LABELS = {
    "AB": "Agriculture biologique",
    "HVE": "Haute valeur environnementale",
    "NP": "Nature & Progrès",
    "DEMETER": "Demeter",
    "BBC": "Bio Cohérence",
    "LR": "Label Rouge",
    "AOP": "AOP / AOC",
    "IGP": "IGP",
    "BF": "Bienvenue à la ferme",
}
#: The codes, in order: the API's ``LabelsEnum``.
FARM_LABEL_CODES = list(FARM_LABELS)
