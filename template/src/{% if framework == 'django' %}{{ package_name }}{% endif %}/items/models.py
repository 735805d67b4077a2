"""The items feature's tables: fields and constraints only, no behaviour.

No logic in save() or in signals: writes go through services.py, reads through selectors.py.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000
# 32-bit signed INTEGER column: larger values would fail in the database.
MAX_QUANTITY = 2**31 - 1


class Item(models.Model):
    # Unique, so it carries an index: lookups by name do not scan the table.
    name = models.CharField(max_length=NAME_MAX_LENGTH, unique=True)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, null=True, blank=True)
    quantity = models.IntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(MAX_QUANTITY)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="items_item_quantity_non_negative"
            ),
        )

    def __str__(self) -> str:
        return self.name
