"""The user model. Django's own for now, but custom from the first migration, because
switching AUTH_USER_MODEL on a live database is a painful, manual migration."""

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    pass
