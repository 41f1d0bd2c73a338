"""The one-line errors of the PostgreSQL store: what an operator reads, and can act on, when a
connection fails at start or is lost mid-run (the password never shown)."""

from __future__ import annotations

import re

import psycopg

from sestui.core.fmt import first_line
from sestui.store.base import StoreError, StoreUnreachable


def display_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unparsable URL)"
    user = f"{info['user']}@" if info.get("user") else ""
    host = str(info.get("host") or "")
    port = f":{info['port']}" if info.get("port") else ""
    if host.startswith("/"):
        return f"postgresql://{user}/{info.get('dbname', '')}?host={host}{port and '&port=' + port[1:]}"
    return f"postgresql://{user}{host}{port}/{info.get('dbname', '')}"


def connect_error(exc: psycopg.Error, where: str) -> StoreError:
    """One line an operator can act on, for a failed connection."""
    text = str(exc)
    if m := re.search(r'password authentication failed for user "([^"]+)"', text):
        return StoreError(f"{where}: wrong password for user {m[1]} (check the URL, PGPASSWORD or ~/.pgpass)")
    if "no password supplied" in text:
        return StoreError(f"{where}: the server wants a password: add it to ~/.pgpass or PGPASSWORD")
    if m := re.search(r'database "([^"]+)" does not exist', text):
        return StoreError(f"{where}: database {m[1]} does not exist: create it (createdb {m[1]}) or fix the URL")
    if m := re.search(r'role "([^"]+)" does not exist', text):
        return StoreError(f"{where}: the server has no role {m[1]}: create it (createuser {m[1]}) or fix the URL")
    if m := re.search(r"(Connection refused|No such file or directory|timeout expired|could not translate host"
                      r" name[^\n]*|Network is unreachable|No route to host)", text):
        return StoreUnreachable(f"{where}: cannot reach the PostgreSQL server ({m[1]}): is it running, and are"
                                f" host and port right?")
    return StoreError(f"{where}: cannot connect: {first_line(exc)}")


def lost_error(exc: psycopg.OperationalError, where: str) -> StoreError:
    """One line for a failure mid-run: the server gone (restarted, unreachable) or out of resources."""
    first = first_line(exc)
    if (exc.sqlstate or "").startswith("53"):  # insufficient resources: disk full, too many connections
        return StoreError(f"{where}: {first}")
    if isinstance(connect_error(exc, where), StoreUnreachable):
        return connect_error(exc, where)
    return StoreUnreachable(f"{where}: lost the connection to the PostgreSQL server ({first}); retrying")
