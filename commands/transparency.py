"""The transparency log: `keygen`, `checkpoint` (and `checkpoint cosign`), `prove`, the auditor's bundle
and the checkpoint half of `verify`.

Everything cryptographic is the core's (`ledger/merkle.py`, `ledger/checkpoint.py`) over the
tree the store keeps (`ledger/tree.py`); this module reads files, the ledger, and says what it found.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

import click

from coopledger.commands.context import App, BadInput, NotFound, ledger_errors, parse_text, pass_app, written
from coopledger.ledger import checkpoint as cp
from coopledger.ledger import events as ev
from coopledger.ledger.audit import named
from coopledger.ledger.merkle import (
    ProofError,
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from coopledger.ledger.provenance import format_recorded
from coopledger.ledger.tree import StoredTree, leaves
from coopledger.ledger.words import counted

BUNDLE_SCRIPT = Path(__file__).resolve().parent.parent / "ledger" / "bundle" / "verify_bundle.py"
KEY_META = "key:"  # coop_meta keys "key:NAME": the verifier key of each key that signed a checkpoint


def _text(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeError) as e:
        raise BadInput(f"cannot read {what} {path}: {getattr(e, 'strerror', None) or e}") from None


def read_note(path: str) -> cp.SignedNote:
    """A checkpoint file: a signed note, or a checkpoint printed without --sign (no signature)."""
    text = _text(path, "the checkpoint")
    try:
        note = cp.SignedNote.parse(text) if "\n\n" in text else cp.SignedNote(text)
        note.checkpoint()
    except cp.CheckpointError as e:
        raise BadInput(f"{path} is not a signed checkpoint: {e}") from None
    return note


def extended_size(app: App, path: str) -> int:
    """The size of a checkpoint that this ledger extends (exit 2 if it does not)."""
    point = read_note(path).checkpoint()
    with ledger_errors():
        size, tree = current(app)
        if point.size > size or (point.size and tree.root(point.size) != point.root):
            raise BadInput(f"{path}: the ledger's first {_entries(point.size)} are not that checkpoint's")
    return point.size


def read_signer(path: str) -> cp.PrivateKey:
    try:
        return cp.PrivateKey.parse(_text(path, "the signer key"))
    except cp.CheckpointError as e:
        raise BadInput(f"{path} is not a signer key: {e}") from None


def read_verifier(path: str) -> cp.PublicKey:
    try:
        return cp.PublicKey.parse(_text(path, "the verifier key"))
    except cp.CheckpointError as e:
        raise BadInput(f"{path} is not a verifier key: {e}") from None


def origin_of(app: App, cooperative: str | None = None) -> str:
    """This ledger's origin line: the cooperative's name and the ledger's id (set by the first checkpoint)."""
    store = app.store
    origin = store.meta("origin")
    if origin is None:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", cooperative or "coopledger").strip("-") or "coopledger"
        ledger_id = store.set_meta("ledger_id", uuid.uuid4().hex)
        origin = store.set_meta("origin", f"{name}/ledger/{ledger_id}")
    return origin


def current(app: App) -> tuple[int, StoredTree]:
    head = app.store.head()
    return (head.seq if head else 0), StoredTree(app.store)


@click.command()
@click.option("--out", "out", required=True, callback=parse_text, help="folder of the key files")
@click.option("--name", default="coopledger", show_default=True, help="the key's name (no spaces, no '+')")
def keygen(out: str, name: str) -> None:
    """Make an Ed25519 key pair to sign checkpoints: NAME.key (private, 0600) and NAME.pub.

    Give the .pub file to whoever checks the checkpoints (the auditor, the
    members); keep the .key file off the ledger's machine if you can.

    \b
    Example:
      coopledger keygen --out keys --name coop-example
    """
    try:
        key = cp.PrivateKey.generate(name)
        private, public = cp.write_key_pair(Path(out), key)
    except (cp.CheckpointError, OSError) as e:
        raise BadInput(str(e)) from None
    click.echo(f"signer key:   {private} (keep it secret)")
    click.echo(f"verifier key: {public}: {key.public_key().vkey()}")


@click.group(invoke_without_command=True)
@click.option("--sign", "sign_with", help="signer key file (.key) of the ledger")
@click.option("--cooperative", help="the cooperative's name in the origin line (first checkpoint only)")
@click.pass_context
def checkpoint(ctx: click.Context, sign_with: str | None, cooperative: str | None) -> None:
    """Print the checkpoint of the ledger as it stands, and record that it was taken.

    A checkpoint is the C2SP tlog-checkpoint text: the origin (the cooperative
    and this ledger's id), the number of entries, the base64 RFC 9162 Merkle
    root, then signature lines. Copy it into the minutes of the assembly:
    `verify --checkpoint` later proves the ledger still extends it.

    \b
    Examples:
      coopledger checkpoint --sign keys/coop-example.key > ag-2025.txt
      coopledger checkpoint cosign ag-2025.txt --key auditor.key
    """
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    key = read_signer(sign_with) if sign_with else None
    with ledger_errors():
        origin = origin_of(app, cooperative)
        size, tree = current(app)
        point = cp.Checkpoint(origin, size, tree.root(size))
        if key is None:
            text = point.text()
        else:
            text = cp.sign(point, key).format()
            app.store.set_meta(KEY_META + key.name, key.public_key().vkey())
        app.store.add_checkpoint(format_recorded(dt.datetime.now(dt.UTC)), size, text)
    click.echo(text, nl=False)


@checkpoint.command()
@click.argument("file")
@click.option("--key", "key_file", required=True, help="the witness's signer key file (.key)")
@click.option("-o", "--output", default=None, help="write here (default: FILE itself)")
def cosign(file: str, key_file: str, output: str | None) -> None:
    """Add a witness's signature (the auditor's, a federation's) to a checkpoint file.

    \b
    Example:
      coopledger checkpoint cosign ag-2025.txt --key auditor.key
    """
    note = read_note(file)
    key = read_signer(key_file)
    try:
        signed = cp.cosign(note, key)
    except cp.CheckpointError as e:
        raise BadInput(f"{file}: {e}") from None
    with written(output or file) as stream:
        stream.write(signed.format().encode())
    click.echo(f"{output or file}: signed by {', '.join(s.name for s in signed.signatures)}", err=True)


def recorded_keys(app: App) -> list[cp.PublicKey]:
    """The verifier keys of the keys that signed this ledger's checkpoints (as it recorded them)."""
    return [cp.PublicKey.parse(v) for v in app.store.meta_values(KEY_META)]


def check_checkpoints(
    app: App, files: Sequence[str], key_files: Sequence[str]
) -> tuple[list[str], list[str], int | None]:
    """Each checkpoint's signatures and that the ledger's tree extends it: (what holds, problems,
    the entry the ledger departs from a checkpoint at, where the signed checkpoints pin it)."""
    keys = [read_verifier(k) for k in key_files]
    if files:
        notes = [(name, read_note(name)) for name in files]
    else:
        recorded = [
            (
                f"checkpoint of {taken} ({_entries(size)})",
                cp.SignedNote.parse(text) if "\n\n" in text else None,
            )
            for taken, size, text in app.store.checkpoint_rows()
        ]
        notes = [(n, note) for n, note in recorded if note is not None]
    if not notes:
        return [], [], None
    keys = keys or recorded_keys(app)
    origin = app.store.meta("origin")
    size, tree = current(app)
    held: list[str] = []
    for name, note in notes:
        point = note.checkpoint()
        try:
            signed = cp.verify(note, keys)
        except cp.CheckpointError as e:
            return held, [f"{name}: {e}"], None
        if point.size > size:
            return held, [f"{name}: the checkpoint has {_entries(point.size)}, the ledger only {size}"], None
        try:
            if point.size:
                proof = consistency_proof(point.size, size, tree)
                verify_consistency(point.size, size, point.root, tree.root(size), proof)
        except ProofError:
            why, first = first_difference(app, point, keys)
            return held, [f"{name}: the ledger does not extend it: {why}"], first
        if origin is not None and point.origin != origin:
            return held, [f"{name}: a checkpoint of {point.origin}, not of this ledger ({origin})"], None
        held.append(f"{name}: {_entries(point.size)}, signed by {', '.join(signed)}: extended by the ledger")
    return held, [], None


def first_difference(app: App, point: cp.Checkpoint, keys: Sequence[cp.PublicKey]) -> tuple[str, int | None]:
    """Where the ledger departs from a checkpoint, as far as the signed checkpoints the ledger
    recorded can tell: each one these keys signed, and the ledger extends, shows its entries
    unchanged; each one it does not extend, that the change is in its entries. What to say, and
    the entry when they pin it to one."""
    _, tree = current(app)
    after, upto = 0, point.size
    for _, size, text in app.store.checkpoint_rows():
        if "\n\n" not in text or not 0 < size <= point.size:
            continue
        try:
            note = cp.SignedNote.parse(text)
            cp.verify(note, keys)
        except cp.CheckpointError:
            continue  # unsigned, or by another key: it proves nothing here
        old = note.checkpoint()
        if tree.root(old.size) == old.root:
            after = max(after, old.size)
        else:
            upto = min(upto, old.size)
    entries = f"its first {_entries(point.size)} are not those it signs"
    if after >= upto:  # the checkpoints contradict each other: say nothing more
        return f"{entries} (rewritten history)", None
    if upto - after == 1:
        return f"{entries}: entry {named(app.store, upto)} differs from the one signed", upto
    if after == 0 and upto == point.size:
        return f"{entries} (rewritten history; no checkpoint recorded before it narrows the change)", None
    first = named(app.store, after + 1)
    since = f"after #{after}, " if after else ""
    bounded = f"changed {since}at or before #{upto}: the first entry that may differ is {first}"
    return f"{entries} ({bounded})", None


@click.command()
@click.option("--member", help="every entry about this member")
@click.option("--entry", "entry_id", help="one entry, by id or #SEQ")
@click.option("--checkpoint", "checkpoint_file", required=True, help="the checkpoint to prove against")
@click.option("-o", "--output", default="-", callback=parse_text, help="the proof file (default stdout)")
@pass_app
def prove(app: App, member: str | None, entry_id: str | None, checkpoint_file: str, output: str) -> None:
    """Write a member's entries (or one entry) with their inclusion proofs in a checkpoint.

    The member checks the file offline, seeing only their own entries:
    `python3 verify_bundle.py --proof FILE --checkpoint CHECKPOINT --key KEY.pub`.

    \b
    Examples:
      coopledger prove --member M042 --checkpoint ag-2025.txt -o M042-proof.json
      coopledger prove --entry g0000042 --checkpoint ag-2025.txt
    """
    if (member is None) == (entry_id is None):
        raise click.UsageError("give one of --member M or --entry ID")
    point = read_note(checkpoint_file).checkpoint()
    with ledger_errors():
        size, tree = current(app)
        if point.size > size or point.size == 0 or tree.root(point.size) != point.root:
            raise BadInput(
                f"{checkpoint_file}: this ledger's first {_entries(point.size)} are not that checkpoint"
            )
        if member is not None:
            states = app.store.states_of([ev.MEMBER + member])
            if not states:
                raise NotFound(f"no entry about member {member}")
        else:
            assert entry_id is not None
            seq = int(entry_id[1:]) if re.fullmatch(r"#[0-9]+", entry_id) else app.store.seq_of(entry_id)
            state = next(iter(app.store.states(seq - 1, seq)), None) if seq else None
            if state is None:
                raise NotFound(f"no entry {entry_id}")
            states = [state]
        items = []
        for state in states:
            seq = json.loads(state)["seq"]
            if seq > point.size:
                if entry_id is not None:
                    raise NotFound(f"entry #{seq} is not in the checkpoint's tree of {_entries(point.size)}")
                continue
            proof = inclusion_proof(seq - 1, point.size, tree)
            verify_inclusion(seq - 1, point.size, leaves([state])[0], proof, point.root)
            items.append(
                {
                    "index": seq - 1,
                    "line": bytes(state).decode(),
                    "proof": [base64.b64encode(h).decode() for h in proof],
                }
            )
    root = base64.b64encode(point.root).decode()
    document = {"origin": point.origin, "tree_size": point.size, "root": root, "entries": items}
    with written(output) as stream:
        stream.write(json.dumps(document, ensure_ascii=False, indent=1).encode() + b"\n")
    left = len(states) - len(items)
    click.echo(
        f"{_entries(len(items))} proved in {point.origin} at {point.size}"
        + (f"; {left} recorded after it left out" if left else ""),
        err=True,
    )


def write_bundle(app: App, directory: str, journal: bytes) -> None:
    """The auditor's bundle: journal.jsonl, checkpoints/*.txt, keys/*.pub, verify_bundle.py."""
    rows = [(taken, size, text) for taken, size, text in app.store.checkpoint_rows() if "\n\n" in text]
    if not rows:
        raise BadInput("no signed checkpoint recorded: take one first (coopledger checkpoint --sign KEY)")
    target = Path(directory)
    try:
        (target / "checkpoints").mkdir(parents=True, exist_ok=True)
        (target / "keys").mkdir(exist_ok=True)
        (target / "journal.jsonl").write_bytes(journal)
        for n, (_, size, text) in enumerate(rows, start=1):
            (target / "checkpoints" / f"{n:04}-{size}.txt").write_text(text, encoding="utf-8")
        for key in recorded_keys(app):
            (target / "keys" / f"{cp.key_file_stem(key.name)}.pub").write_text(
                key.vkey() + "\n", encoding="utf-8"
            )
        shutil.copyfile(BUNDLE_SCRIPT, target / "verify_bundle.py")
    except OSError as e:
        raise BadInput(f"cannot write the bundle in {directory}: {e.strerror or e}") from None
    click.echo(f"{directory}: journal, {counted(len(rows), 'checkpoint')}, verify_bundle.py", err=True)


def _entries(count: int) -> str:
    return counted(count, "entry", "entries")
