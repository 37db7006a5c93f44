"""The admin site: django-q2's background-task screens are for superusers, not for the firm's bookkeepers."""
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_q.models import Failure, OrmQ, Schedule, Success

TASK_SCREENS = {model: reverse(f"admin:django_q_{model._meta.model_name}_changelist")
                for model in (Failure, OrmQ, Schedule, Success)}


def task_screens_listed(page: str) -> list[str]:
    return [str(model._meta.verbose_name_plural) for model, url in TASK_SCREENS.items() if f'href="{url}"' in page]


@pytest.mark.django_db
def test_a_bookkeeper_neither_sees_nor_opens_the_background_task_screens(client, staff_user):
    # Even a group handing out django-q2's model permissions does not open them.
    staff_user.user_permissions.add(*Permission.objects.filter(content_type__app_label="django_q"))
    client.force_login(staff_user)

    home = client.get(reverse("admin:index"))

    assert home.status_code == 200 and task_screens_listed(home.content.decode()) == []
    assert "Scheduled tasks" not in home.content.decode()
    for url in TASK_SCREENS.values():
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("admin:app_list", args=["django_q"])).status_code == 404
    schedule = Schedule.objects.create(name="exports: poll Pleo export queue (client 1)", func="math.floor")
    assert client.get(reverse("admin:django_q_schedule_change", args=[schedule.pk])).status_code == 403
    deleting = client.post(reverse("admin:django_q_schedule_delete", args=[schedule.pk]), {"post": "yes"})
    assert deleting.status_code == 403
    assert Schedule.objects.filter(pk=schedule.pk).exists()


@pytest.mark.django_db
def test_a_superuser_sees_and_opens_them(client, superuser):
    client.force_login(superuser)

    home = client.get(reverse("admin:index")).content.decode()

    assert sorted(task_screens_listed(home)) == ["Failed tasks", "Queued tasks", "Scheduled tasks", "Successful tasks"]
    for url in TASK_SCREENS.values():
        assert client.get(url).status_code == 200, url
