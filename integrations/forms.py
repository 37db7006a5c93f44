"""Admin forms for the connections: secrets are write-only fields that are never rendered back."""
from django import forms

from integrations.models import Client, OdooConnection, PleoConnection
from integrations.transport import url_policy_check

__all__ = ["OdooConnectionForm", "PleoConnectionForm"]

SECRET_HELP_NEW = "Stored encrypted; it is never shown again."
SECRET_HELP_CHANGE = "A key is stored (encrypted, never shown). Leave empty to keep it; enter a new one to replace it."


class _SecretForm(forms.ModelForm):
    """A ModelForm whose secret field is a password input that starts empty every time."""

    secret_field = ""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        is_new = self.instance.pk is None
        secret = self.fields[self.secret_field]
        secret.required = is_new
        secret.help_text = SECRET_HELP_NEW if is_new else SECRET_HELP_CHANGE
        if "client" in self.fields and user is not None:
            self.fields["client"].queryset = Client.objects.for_user(user)


class OdooConnectionForm(_SecretForm):
    secret_field = "new_api_key"
    new_api_key = forms.CharField(
        label="API key",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        strip=True,
    )
    company = forms.TypedChoiceField(label="Odoo company", coerce=int, required=False, empty_value=None)

    class Meta:
        model = OdooConnection
        fields = ["client", "url", "database", "login"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        companies = self.instance.check_report.get("companies", []) if self.instance.pk else []
        self.fields["company"].choices = [("", "— press Verify, then choose —")] + [
            (c["id"], c["name"]) for c in companies
        ]
        self.fields["company"].initial = self.instance.company_id
        self.fields["company"].help_text = "The list comes from Odoo: the companies the integration user is allowed in."

    def clean_url(self):
        url = self.cleaned_data["url"].strip().rstrip("/")
        url_policy_check(url)
        return url


class PleoConnectionForm(_SecretForm):
    secret_field = "new_api_token"
    new_api_token = forms.CharField(
        label="API token",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        strip=True,
    )

    class Meta:
        model = PleoConnection
        fields = ["client", "api_base_url", "company_id", "company_name"]

    def clean_api_base_url(self):
        url = self.cleaned_data["api_base_url"].strip().rstrip("/")
        url_policy_check(url)
        return url
