"""The deliveries in the admin. (The core helper's module; the overview registers itself.)"""

from deliveries import admin_overview  # noqa: F401
