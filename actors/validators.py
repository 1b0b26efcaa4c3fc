from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LA_POSTE_SIREN = "356000000"


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def validate_siret(value: str) -> None:
    """A SIRET is 14 digits passing the Luhn key (La Poste's establishments use a digit sum)."""
    if not value:
        return
    compact = value.replace(" ", "")
    if len(compact) != 14 or not compact.isdecimal():
        raise ValidationError(_("Un SIRET compte exactement 14 chiffres."), code="siret_format")
    if compact.startswith(LA_POSTE_SIREN):
        ok = sum(int(c) for c in compact) % 5 == 0
    else:
        ok = luhn_ok(compact)
    if not ok:
        raise ValidationError(_("Ce SIRET n'est pas valide (clé de contrôle incorrecte)."), code="siret_checksum")
