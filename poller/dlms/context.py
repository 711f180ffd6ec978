"""A DLMS meter's session context from the database: link addresses, profile settings, OBIS and
status maps, and its unsealed credentials, with the invocation counters of the session reserved
in the same transaction. Here, not in poller/store.py, so the store never imports the DLMS
package."""

from __future__ import annotations

from typing import Any

from db import driver
from db.settings import Settings
from poller.connect import ConfigurationError
from poller.dlms import keystore
from poller.dlms.client import Credentials
from poller.dlms.security import Keys
from poller.dlms.session import DlmsContext
from poller.store import DlmsLinkSettings, DlmsSessionContext


def dlms_context(settings: Settings | str | None, meter_id: int, reserve: int) -> tuple[Any, Any]:
    """(DlmsSessionContext, Credentials) of a DLMS meter, reserving ``reserve`` invocation
    counters for the session in the same transaction. Raises ConfigurationError-like
    LookupError when the meter has no DLMS settings, KeystoreError for unreadable keys."""

    def work(conn: driver.Connection) -> tuple[Any, Any, Any, Any]:
        row = driver.run_one(conn, "dlms_context", meter_id=meter_id, reserve=reserve)
        omap = driver.run(conn, "dlms_obis_map")
        st = driver.run(conn, "dlms_status_table", scheme=row["status_scheme"]) if row else []
        return row, omap, st, None

    row, omap, st, _ = driver.in_transaction(settings, work)
    if row is None:
        raise ConfigurationError(
            f"meter {meter_id} is registered as DLMS but has no row in smf.dlms_meter"
        )
    cred = Credentials(auth=row["auth"])
    if row["auth"] != "none":
        if row["secret"] is None:
            raise ConfigurationError(
                f"DLMS meter {meter_id}: authentication {row['auth']} but no keys stored"
            )
        sec = keystore.open_sealed(bytes(row["secret"]), row["key_id"])
        cred.password = sec.password
        if row["auth"] == "hls_gmac":
            cred.keys = Keys(sec.authentication_key, sec.encryption_key)
            cred.system_title = bytes(row["client_system_title"] or b"SMF00001")
            cred.invocation_counter = int(row["first_ic"])
            cred.counter_limit = int(row["first_ic"]) + reserve - 1
    ctx = DlmsSessionContext(
        DlmsLinkSettings(row["client_sap"], row["server_logical"], row["server_physical"]),
        DlmsContext(
            profile_obis=row["profile_obis"],
            status_scheme=row["status_scheme"],
            profile_kind=row["profile_kind"],
            energy_unit=row["energy_unit"],
            obis_map={r["obis"]: (r["channel"], r["kind"]) for r in omap},
            status_table={r["status"]: (r["quality"], list(r["flags"])) for r in st},
        ),
    )
    return ctx, cred
