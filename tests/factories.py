"""One factory per model, used through the fixtures in conftest.py."""
import factory
from django.contrib.auth import get_user_model

from integrations.models import Client, OdooConnection, PleoConnection


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@firm.example")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n} BV")


class OdooConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OdooConnection

    client = factory.SubFactory(ClientFactory)
    url = "https://client.odoo.com"
    database = "client"
    login = "pleo@example.com"
    api_key = factory.Sequence(lambda n: f"odoo-api-key-{n:04d}-5f0c1e2d9a8b7c6d")


class PleoConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PleoConnection

    client = factory.SubFactory(ClientFactory)
    api_base_url = "https://external.pleo.io"
    api_token = factory.Sequence(lambda n: f"pleo-api-token-{n:04d}-9e8d7c6b5a4f3e2d")
