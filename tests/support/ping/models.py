from django.db import models

from logitrack.db.models import BaseModel


class Ping(BaseModel):
    label = models.CharField(max_length=100)
