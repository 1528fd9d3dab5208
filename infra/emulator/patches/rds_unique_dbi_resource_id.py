"""Give every RDS DB instance its own DbiResourceId.

moto 5.2.5: ``DBInstance.__init__`` hard-codes ``dbi_resource_id =
"db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U"``, so all instances share one resource id.

Terraform symptom: the provider finds ``aws_db_instance`` by its resource id
(filter ``dbi-resource-id``); with two instances (e.g. an Aurora writer and a
reader) the lookup matches both and fails with "couldn't find resource".

Patch: after moto builds an instance, replace the id with a random one of the
real format (``db-`` + 26 upper-case letters and digits).
"""

from __future__ import annotations

import functools
import secrets
import string
from typing import Any

_ALPHABET = string.ascii_uppercase + string.digits


def new_dbi_resource_id() -> str:
    return "db-" + "".join(secrets.choice(_ALPHABET) for _ in range(26))


def apply() -> None:
    from moto.rds.models import DBInstance

    original_init = DBInstance.__init__

    @functools.wraps(original_init)
    def __init__(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.dbi_resource_id = new_dbi_resource_id()

    DBInstance.__init__ = __init__
