"""A whole workshop as one file: carried from a field laptop to the association's server.

The file holds the workshop's row, every event, the operation ids and the snapshots with their
analyses, under a checksum. Importing it is a merge of logs, not a copy:

- a workshop the server does not know is added whole (its join code is replaced if the server
  already uses it: codes are per server, the workshop id is random and global);
- a workshop the server knows gets only the events after its last one, provided the two logs agree
  on every event they share. They agree when each shared event has the same number, type and time
  and the same fields, or the same fields with some words blanked on one side: an erasure
  (server/privacy/ `redact`) on either machine wins on both. A workshop continued on both
  machines is refused: merging two futures would decide for the people who were in the rooms;
- snapshots and operation ids are added when missing, never changed.

Importing the same file twice changes nothing. Everything is checked before anything is written
(format, checksum, a full replay of the events), and written in one transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass

from boards.errors import Rejected
from boards.i18n import N_
from boards.state import replay

from . import auth

FORMAT, VERSION = "maillage.workshop", 1
MAX_BYTES = 64 * 1024 * 1024
WORKSHOP_FIELDS = ("id", "join_code", "facilitator_key", "title", "territory", "created_at", "demo")
SNAPSHOT_FIELDS = ("id", "label", "seq", "taken_at", "data", "analysis")


class TransferRefused(Rejected):
    """A file that cannot be imported; nothing was written."""


@dataclass
class Imported:
    workshop_id: str
    created: bool
    events: int
    snapshots: int
    erased: int
    join_code: str

    @property
    def changed(self) -> bool:
        return self.created or bool(self.events or self.snapshots or self.erased)


def _digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True,
                                     separators=(",", ":")).encode()).hexdigest()


def export_workshop(store, workshop_id: str) -> bytes:
    db = store
    row = store.workshop(workshop_id)
    if row is None:
        raise TransferRefused(N_("Atelier inconnu."))
    events = [list(r) for r in db.execute(
        "SELECT seq, type, data, at FROM events WHERE workshop_id = ? ORDER BY seq", [workshop_id])]
    ops = [list(r) for r in db.execute(
        "SELECT participant, op, seq FROM ops WHERE workshop_id = ? ORDER BY seq, participant, op", [workshop_id])]
    snapshots = [dict(zip(SNAPSHOT_FIELDS, r)) for r in db.execute(
        f"SELECT {', '.join(SNAPSHOT_FIELDS)} FROM snapshots WHERE workshop_id = ? ORDER BY taken_at, id",
        [workshop_id])]
    body = {"workshop": {k: row[k] for k in WORKSHOP_FIELDS}, "events": events, "ops": ops,
            "snapshots": snapshots}
    document = {"format": FORMAT, "version": VERSION, "sha256": _digest(body), **body}
    return json.dumps(document, ensure_ascii=False).encode()


def read_file(data: bytes) -> dict:
    """The file's body, checked whole; TransferRefused with a reason a coordinator understands."""
    if len(data) > MAX_BYTES:
        raise TransferRefused(N_("Le fichier dépasse %(max)s Mo."), max=MAX_BYTES // (1024 * 1024))
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise TransferRefused(N_("Ce fichier n'est pas un atelier exporté par Maillage.")) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise TransferRefused(N_("Ce fichier n'est pas un atelier exporté par Maillage."))
    if document.get("version") != VERSION:
        raise TransferRefused(N_("Ce fichier vient d'une autre version de Maillage (format %(version)s)."),
                              version=str(document.get("version"))[:20])
    body = {k: document.get(k) for k in ("workshop", "events", "ops", "snapshots")}
    if document.get("sha256") != _digest(body):
        raise TransferRefused(N_("Le fichier est abîmé : son contenu ne correspond plus à sa somme de contrôle."))
    try:
        _check_shape(body)
        events = [_event(e) for e in body["events"]]
        replay(body["workshop"]["id"], iter(events))
    except TransferRefused:
        raise
    except Exception:
        raise TransferRefused(N_("Le fichier est abîmé : ses événements ne forment pas un atelier valide.")) from None
    return body


def _check_shape(body: dict) -> None:
    workshop, events, ops, snapshots = body["workshop"], body["events"], body["ops"], body["snapshots"]
    ok = (isinstance(workshop, dict) and all(isinstance(workshop.get(k), str) for k in WORKSHOP_FIELDS[:-1])
          and workshop["id"] and isinstance(events, list) and isinstance(ops, list) and isinstance(snapshots, list)
          and all(isinstance(e, list) and len(e) == 4 and e[0] == n and isinstance(e[1], str)
                  and isinstance(e[2], str) and isinstance(e[3], str) for n, e in enumerate(events, start=1))
          and all(isinstance(o, list) and len(o) == 3 and isinstance(o[0], str) and isinstance(o[1], str)
                  and isinstance(o[2], int) for o in ops)
          and all(isinstance(s, dict) and isinstance(s.get("id"), str) and isinstance(s.get("data"), str)
                  for s in snapshots))
    if not ok or not events:
        raise TransferRefused(N_("Le fichier est abîmé : ses événements ne forment pas un atelier valide."))


def _event(row: list) -> dict:
    seq, kind, data, at = row
    return {**json.loads(data), "type": kind, "seq": seq, "at": at}


def _merged(ours: str, theirs: str) -> str | None:
    """One event as stored here and in the file: the two agree, with every erasure of either kept."""
    if ours == theirs:
        return ours
    a, b = json.loads(ours), json.loads(theirs)
    if a.keys() != b.keys():
        return None
    merged = {}
    for key, mine in a.items():
        other = b[key]
        if mine == other:
            merged[key] = mine
        elif isinstance(mine, str) and isinstance(other, str) and "" in (mine, other):
            merged[key] = ""
        else:
            return None
    return json.dumps(merged, ensure_ascii=False)


def import_workshop(store, data: bytes, allowed=lambda territory: True) -> Imported:
    body = read_file(data)
    db, workshop = store, body["workshop"]
    if not allowed(workshop["territory"]):
        raise TransferRefused(N_("Ce fichier est un atelier du territoire « %(territory)s » : votre accès de "
                                 "coordination ne couvre pas ce territoire."), territory=workshop["territory"][:80])
    workshop_id = workshop["id"]
    with store.transaction(workshop_id):
        row = store.workshop(workshop_id)
        created = row is None
        if created:
            code = workshop["join_code"]
            while store.code_in_use(code):
                code = auth.new_join_code()
            db.execute("INSERT INTO workshops (id, join_code, facilitator_key, title, territory, created_at, demo)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [workshop_id, code, workshop["facilitator_key"], workshop["title"], workshop["territory"],
                        workshop["created_at"], int(bool(workshop.get("demo")))])
        elif (row["facilitator_key"], row["created_at"]) != (workshop["facilitator_key"], workshop["created_at"]):
            raise TransferRefused(N_("Un autre atelier porte déjà l'identifiant de celui du fichier : rien n'a été importé."))
        else:
            code = row["join_code"]
        ours = {seq: (kind, data_, at) for seq, kind, data_, at in db.execute(
            "SELECT seq, type, data, at FROM events WHERE workshop_id = ?", [workshop_id])}
        added = erased = 0
        for seq, kind, data_, at in body["events"]:
            if seq not in ours:
                db.execute("INSERT INTO events (workshop_id, seq, type, data, at) VALUES (?, ?, ?, ?, ?)",
                           [workshop_id, seq, kind, data_, at])
                added += 1
                continue
            merged = _merged(ours[seq][1], data_) if ours[seq][0] == kind and ours[seq][2] == at else None
            if merged is None:
                raise TransferRefused(N_("Cet atelier a continué à la fois sur ce serveur et sur la machine du "
                                         "fichier (événement %(seq)s) : rien n'a été importé."), seq=seq)
            if merged != ours[seq][1]:
                db.execute("UPDATE events SET data = ? WHERE workshop_id = ? AND seq = ?", [merged, workshop_id, seq])
                erased += 1
        for participant, op, seq in body["ops"]:
            db.execute("INSERT INTO ops (workshop_id, participant, op, seq) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       [workshop_id, participant, op, seq])
        snapshots = _import_snapshots(db, workshop, body["snapshots"])
    return Imported(workshop_id, created, added, snapshots, erased, code)


def _import_snapshots(db, workshop: dict, snapshots: list[dict]) -> int:
    added = 0
    for snap in snapshots:
        owner = db.execute("SELECT workshop_id FROM snapshots WHERE id = ?", [snap["id"]]).fetchone()
        if owner and owner[0] != workshop["id"]:
            raise TransferRefused(N_("Un instantané d'un autre atelier porte déjà l'identifiant %(id)s : "
                                     "rien n'a été importé."), id=snap["id"][:20])
        cursor = db.execute(
            "INSERT INTO snapshots (id, workshop_id, territory, label, seq, taken_at, data, analysis)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [snap["id"], workshop["id"], workshop["territory"], snap.get("label", ""), snap.get("seq", 0),
             snap.get("taken_at", ""), snap["data"], snap.get("analysis")])
        added += cursor.rowcount
    return added


# The coordinator's pages ---------------------------------------------------------------------

async def download(request):
    from starlette.responses import Response

    from .coordinator import is_coordinator, may_review, refuse
    from .pages import html
    if not is_coordinator(request):
        return refuse(request)
    workshop_id = request.path_params["workshop_id"]
    row = request.app.state.store.workshop(workshop_id)
    if row is None or not may_review(request, row["territory"]):
        return html(request, "error.html", 404, message_key="not_found")
    request.app.state.workshops.settle(workshop_id)
    loop = asyncio.get_running_loop()
    data = await loop.run_in_executor(None, _in_thread, export_workshop, request.app.state.store.path, workshop_id)
    return Response(data, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="atelier-{workshop_id}.maillage.json"',
        "Cache-Control": "no-store"})


async def upload(request):
    from starlette.exceptions import HTTPException

    from .coordinator import refuse, scope
    from .i18n import translate
    from .pages import html, locale_of
    allowed = scope(request)
    if allowed is None:
        return refuse(request)
    locale = locale_of(request)

    def refused(status: int, refusal: Rejected):
        return html(request, "review/imported.html", status, result=None,
                    error=translate(locale, refusal.message, refusal.params))
    length = request.headers.get("content-length", "")
    if not (length.isascii() and length.isdigit()) or int(length) > MAX_BYTES + 64_000:
        return refused(413, TransferRefused(N_("Le fichier dépasse %(max)s Mo."), max=MAX_BYTES // (1024 * 1024)))
    try:
        form = await request.form(max_files=1, max_fields=2)
    except HTTPException:
        return refused(400, TransferRefused(N_("Envoi illisible : choisissez de nouveau le fichier.")))
    file = form.get("fichier")
    if file is None or isinstance(file, str) or not file.filename:
        return refused(400, TransferRefused(N_("Choisissez le fichier d'un atelier exporté par Maillage.")))
    data = await file.read(MAX_BYTES + 1)
    loop = asyncio.get_running_loop()
    try:
        # Checking a file replays a whole workshop: off the event loop, so live rooms do not wait.
        result = await loop.run_in_executor(None, _in_thread, import_workshop, request.app.state.store.path, data,
                                            allowed.allows)
    except TransferRefused as refusal:
        return refused(400, refusal)
    _show(request.app, result)
    return html(request, "review/imported.html", result=result, error=None)


def _in_thread(work, path: str, *args):
    """`work` on a connection of its own: the live connection belongs to the event loop's thread."""
    from .store import Store
    store = Store(path)
    try:
        return work(store, *args)
    finally:
        store.close()


def _show(app, result: Imported) -> None:
    """The live side follows what was written: a new workshop loaded, new events shown, erasures replayed."""
    workshops, snapshots = app.state.workshops, app.state.snapshots
    ws = workshops.states.get(result.workshop_id)
    if ws is None or result.erased:
        workshops._load(result.workshop_id)
        room = app.state.hub.rooms.get(result.workshop_id)
        for client in list(room.clients) if room else ():
            client.finish(1012)  # the page reconnects and is drawn again from the new log
    elif result.events:
        workshops.catch_up(result.workshop_id)
    if workshops.broker is not None and result.changed:
        workshops.broker.notify(result.workshop_id, workshops.states[result.workshop_id].seq)
    if result.snapshots:
        task = asyncio.ensure_future(snapshots.analyse_pending())
        app.state.background.add(task)
        task.add_done_callback(app.state.background.discard)


def main(argv: list[str] | None = None) -> int:
    """python -m server.transfer export|import: the same files, from the command line (server stopped)."""
    import argparse
    import sys

    from .i18n import translate
    from .store import Store
    parser = argparse.ArgumentParser(prog="python -m server.transfer",
                                     description="Export a workshop to one file, or import such a file.")
    parser.add_argument("--db", default="maillage.db", help="SQLite file or postgresql:// URL")
    commands = parser.add_subparsers(dest="command", required=True)
    out = commands.add_parser("export", help="write one workshop to a file")
    out.add_argument("workshop_id")
    out.add_argument("-o", "--output", help="file to write (default: atelier-ID.maillage.json)")
    into = commands.add_parser("import", help="merge a workshop file into this database")
    into.add_argument("file")
    args = parser.parse_args(argv)
    store = Store(args.db)
    try:
        if args.command == "export":
            data = export_workshop(store, args.workshop_id)
            path = args.output or f"atelier-{args.workshop_id}.maillage.json"
            with open(path, "wb") as handle:
                handle.write(data)
            print(f"{path}: {len(data)} bytes")
        else:
            with open(args.file, "rb") as handle:
                result = import_workshop(store, handle.read())
            print(f"workshop {result.workshop_id} ({'new' if result.created else 'known'}), join code "
                  f"{result.join_code}: {result.events} events, {result.snapshots} snapshots added, "
                  f"{result.erased} erasures applied")
    except Rejected as refusal:
        print(translate("fr", refusal.message, refusal.params), file=sys.stderr)
        return 2
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
