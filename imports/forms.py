from django import forms
from django.utils.translation import gettext_lazy as _

from imports.models import ImportBatch


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Que contient le fichier ?"), choices=ImportBatch.Kind.choices)
    territory = forms.ModelChoiceField(label=_("Territoire"), queryset=None, required=False)
    file = forms.FileField(
        label=_("Fichier"), help_text=_("CSV (UTF-8 ou Windows-1252, séparateur « ; » ou « , ») ou XLSX.")
    )
    on_duplicate = forms.ChoiceField(
        label=_("Si l'acteur existe déjà (même SIRET, ou même nom dans la même commune)"),
        choices=ImportBatch.OnDuplicate.choices,
        initial=ImportBatch.OnDuplicate.UPDATE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, territories, staff: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territory"].queryset = territories
        self.fields["territory"].required = not staff
        if not staff:
            self.fields["territory"].empty_label = None
