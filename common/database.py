"""What a lost database connection looks like, and getting a fresh one."""

from django.db import InterfaceError, OperationalError, connection

# A lost connection (a failover, a restart, a terminated backend) or a database
# that is down. Patients get a designed 503 page for these, never a generic 500.
CONNECTION_ERRORS = (OperationalError, InterfaceError)


def reconnect() -> None:
    """Drop a connection the database has lost, so the next query opens a fresh one.

    Django keeps using a broken connection until the request ends; outside a
    transaction it is safe to close it here and carry on.
    """
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()
