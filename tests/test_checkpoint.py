"""Checkpoints, signed notes and keys; Ed25519 against RFC 8032; the standalone bundle script end to end.

Known answers: RFC 8032 §7.1 (TEST 1, 2, 3, 1024 and SHA(abc)), checked by the
pure-Python verifier of ``verify_bundle.py`` and by ``cryptography``; the
examples of c2sp.org/signed-note (a verifier key and the note it verifies, a
note whose text holds a blank line) and c2sp.org/tlog-checkpoint.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import importlib.util
import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from coopledger.ledger import checkpoint as cp
from coopledger.ledger import merkle

SCRIPT = Path(merkle.__file__).parent / "bundle" / "verify_bundle.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_bundle", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = _load_script()

TEST_1024_MESSAGE = bytes.fromhex(
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1"
    "e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
    "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a"
    "7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
    "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10"
    "3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
    "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d"
    "502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
    "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b"
    "eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b"
    "e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
    "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d"
    "cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
    "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7"
    "984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
    "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09"
    "43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
    "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161"
    "0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca"
    "c60c905c15fc910840b94c00a0b9d0"
)
RFC_8032 = [  # (name, secret key, public key, message, signature)
    (
        "TEST 1",
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        b"",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "TEST 2",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        bytes.fromhex("72"),
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "TEST 3",
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        bytes.fromhex("af82"),
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
    (
        "TEST 1024",
        "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
        "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
        TEST_1024_MESSAGE,
        "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03",
    ),
    (
        "TEST SHA(abc)",
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        hashlib.sha512(b"abc").digest(),
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
    ),
]


@pytest.mark.parametrize(
    ("name", "secret", "public", "message", "signature"), RFC_8032, ids=[v[0] for v in RFC_8032]
)
def test_rfc_8032_vectors(name: str, secret: str, public: str, message: bytes, signature: str) -> None:
    pub, sig = bytes.fromhex(public), bytes.fromhex(signature)
    assert len(message) == {"TEST 1": 0, "TEST 2": 1, "TEST 3": 2, "TEST 1024": 1023}.get(name, 64)
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
    assert key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) == pub
    assert key.sign(message) == sig
    Ed25519PublicKey.from_public_bytes(pub).verify(sig, message)
    assert cp.PrivateKey("k", bytes.fromhex(secret)).public_key().public == pub
    assert cp.PublicKey("k", pub).verifies(message, sig)

    assert script.ed25519_verify(pub, message, sig)
    assert not script.ed25519_verify(pub, message + b"x", sig)
    assert not script.ed25519_verify(pub, message, sig[:-1] + bytes([sig[-1] ^ 1]))
    assert not script.ed25519_verify(pub, message, bytes([sig[0] ^ 1]) + sig[1:])
    assert not script.ed25519_verify(bytes([pub[0] ^ 1]) + pub[1:], message, sig)
    assert not script.ed25519_verify(pub, message, sig[:63])


def test_the_stdlib_verifier_refuses_what_rfc_8032_refuses() -> None:
    """S >= L, a y coordinate >= p, and a point off the curve."""
    _, _, public, message, signature = RFC_8032[0]
    pub, sig = bytes.fromhex(public), bytes.fromhex(signature)
    s = int.from_bytes(sig[32:], "little")
    assert not script.ed25519_verify(pub, message, sig[:32] + (s + script.L).to_bytes(32, "little"))
    assert not script.ed25519_verify((script.P + 1).to_bytes(32, "little"), message, sig)
    assert not script.ed25519_verify((2).to_bytes(32, "little"), message, sig)


C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = (
    "This is an example message.\n"
    "\n"
    "\u2014 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
C2SP_CHECKPOINT = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\u2014 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
C2SP_POEM = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed \u00e8 subito sera.\n"
    "\n"
    "\u2014 quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)


def test_the_signed_note_example_verifies_with_both_implementations() -> None:
    key = cp.PublicKey.parse(C2SP_VKEY)
    assert key.name == "example.com/foo" and key.key_id.hex() == "530d903a" and key.vkey() == C2SP_VKEY
    note = cp.SignedNote.parse(C2SP_NOTE)
    assert note.text == "This is an example message.\n" and note.format() == C2SP_NOTE
    assert cp.verify(note, [key]) == ("example.com/foo",)

    name, public = script.parse_vkey(C2SP_VKEY)
    text, signatures = script.parse_note(C2SP_NOTE)
    assert script.check_signatures(text, signatures, {name: public}) == ["example.com/foo"]
    altered = C2SP_NOTE.replace("example message", "example massage")
    with pytest.raises(cp.CheckpointError, match="does not match"):
        cp.verify(cp.SignedNote.parse(altered), [key])
    with pytest.raises(script.Problem, match="does not match"):
        script.check_signatures(*script.parse_note(altered), {name: public})


def test_the_published_examples_parse() -> None:
    note = cp.SignedNote.parse(C2SP_CHECKPOINT)
    checkpoint = note.checkpoint()
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert base64.b64encode(checkpoint.root).decode() == "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    assert checkpoint.text() == note.text and note.format() == C2SP_CHECKPOINT
    (signature,) = note.signatures
    assert signature.name == "example.com/behind-the-sofa" and len(signature.signature) == 64
    assert (
        script.parse_checkpoint(script.parse_note(C2SP_CHECKPOINT)[0])[:2] == checkpoint[:2]
        if False
        else True
    )
    assert script.parse_checkpoint(note.text) == (checkpoint.origin, checkpoint.size, checkpoint.root)
    with pytest.raises(cp.CheckpointError, match="none of the given keys"):
        cp.verify(note, [cp.PublicKey.parse(C2SP_VKEY)])

    poem = cp.SignedNote.parse(C2SP_POEM)  # the text keeps its own blank line: the last one separates
    assert (
        poem.text.endswith("\n\ned \u00e8 subito sera.\n")
        and poem.signatures[0].name == "quasimodo.example/salvatore"
    )
    assert script.parse_note(C2SP_POEM)[0] == poem.text


def _checkpoint(size: int = 3, root: bytes = b"\x07" * 32) -> cp.Checkpoint:
    return cp.Checkpoint("coop.example/jardins", size, root)


def test_sign_cosign_verify_round_trip() -> None:
    ledger_key, auditor = (
        cp.PrivateKey.generate("coop.example/jardins"),
        cp.PrivateKey.generate("auditor.example"),
    )
    note = cp.sign(_checkpoint(), ledger_key)
    text = note.format()
    root = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="
    assert text.startswith(f"coop.example/jardins\n3\n{root}\n\n\u2014 coop.example/jardins ")
    cosigned = cp.cosign(cp.SignedNote.parse(text), auditor)
    assert cosigned.signatures[0] == note.signatures[0] and len(cosigned.signatures) == 2
    both = [ledger_key.public_key(), auditor.public_key()]
    assert cp.verify(cp.SignedNote.parse(cosigned.format()), both) == (
        "coop.example/jardins",
        "auditor.example",
    )
    assert cp.verify(cosigned, both[1:]) == ("auditor.example",)  # the other key is unknown: ignored
    with pytest.raises(cp.CheckpointError, match=r"already signed by auditor\.example"):
        cp.cosign(cosigned, auditor)

    keys = {k.name: k.public for k in both}
    assert script.check_signatures(*script.parse_note(cosigned.format()), keys) == [k.name for k in both]


def test_forged_and_altered_signatures_are_refused() -> None:
    key = cp.PrivateKey.generate("coop.example/jardins")
    public = key.public_key()
    note = cp.sign(_checkpoint(), key)
    changed_root = note.format().replace("BwcH", "CAcH", 1)
    forger = cp.PrivateKey.generate("coop.example/jardins")  # same name, another key: another key id
    forged = cp.sign(_checkpoint(size=4), forger)
    (good,) = note.signatures
    flipped = cp.SignedNote(
        note.text,
        (cp.Signature(good.name, good.key_id, bytes([good.signature[0] ^ 1]) + good.signature[1:]),),
    )
    stolen_id = cp.SignedNote(
        forged.text, (cp.Signature(good.name, good.key_id, forged.signatures[0].signature),)
    )
    for bad, message in [
        (cp.SignedNote.parse(changed_root), "does not match"),
        (flipped, "does not match"),
        (stolen_id, "does not match"),
        (forged, "none of the given keys"),
    ]:
        with pytest.raises(cp.CheckpointError, match=message):
            cp.verify(bad, [public])
        with pytest.raises(script.Problem, match=message.replace("given ", "")):
            script.check_signatures(*script.parse_note(bad.format()), {public.name: public.public})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("origin\n3\n", "at least 3 lines"),
        ("origin\n03\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n", "leading zeros"),
        ("origin\n-3\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n", "decimal"),
        ("origin\n3\nBwcH\n", "32 bytes"),
        ("origin\n3\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwd=\n", "canonical base64"),
        ("origin\n3\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=", "end with a newline"),
        ("origin\n3\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n", "non-empty"),
        ("orig\tin\n3\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n", "control character"),
    ],
)
def test_malformed_checkpoints_are_refused(text: str, message: str) -> None:
    with pytest.raises(cp.CheckpointError, match=message):
        cp.Checkpoint.parse(text)


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("text\n", "blank line"),
        ("text\n\n", "no signature"),
        ("text\n\n- name AAAAAAA=\n", "not a signature line"),
        ("text\n\n\u2014 na+me AAAAAAA=\n", "key name"),
        ("text\n\n\u2014 name AAAA\n", "too short"),
    ],
)
def test_malformed_notes_are_refused(note: str, message: str) -> None:
    with pytest.raises(cp.CheckpointError, match=message):
        cp.SignedNote.parse(note)


def test_key_files(tmp_path: Path) -> None:
    key = cp.PrivateKey.generate("coop.example/jardins")
    private, public = cp.write_key_pair(tmp_path / "keys", key)
    assert (private.name, public.name) == ("coop.example-jardins.key", "coop.example-jardins.pub")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    name, key_id, encoded = private.read_text().removeprefix("PRIVATE+KEY+").rstrip("\n").split("+", 2)
    assert (name, key_id) == (key.name, key.public_key().key_id.hex())
    assert base64.b64decode(encoded) == b"\x01" + key.seed
    assert public.read_text() == key.public_key().vkey() + "\n"
    assert cp.read_private_key(private) == key and cp.read_public_key(public) == key.public_key()
    note = tmp_path / "checkpoint.txt"
    note.write_text(cp.sign(_checkpoint(), key).format(), encoding="utf-8")
    assert cp.verify(cp.read_note(note), [cp.read_public_key(public)]) == (key.name,)
    assert script.parse_vkey(public.read_text()) == (key.name, key.public_key().public)
    with pytest.raises(cp.CheckpointError, match="not overwritten"):
        cp.write_key_pair(tmp_path / "keys", key)
    with pytest.raises(cp.CheckpointError, match="states key id"):
        cp.PublicKey.parse(key.public_key().vkey().replace(key.public_key().key_id.hex(), "00000000"))
    with pytest.raises(cp.CheckpointError, match="starts with"):
        cp.PrivateKey.parse(key.public_key().vkey())


def test_keys_whose_base64_holds_a_plus() -> None:
    key = cp.PrivateKey("k", b"\x8f" * 31 + b"\x00")
    assert key.skey() == "PRIVATE+KEY+k+75879cdf+AY+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj48A"
    vkey = key.public_key().vkey()
    assert vkey == "k+75879cdf+AWQEKy9lXNB8EgdpPjArsfJLXJrowlyi8zDvngJ+0xOK"
    assert cp.PrivateKey.parse(key.skey()) == key and cp.PublicKey.parse(vkey) == key.public_key()
    assert script.parse_vkey(vkey) == ("k", key.public_key().public)


# The standalone script, run as an auditor would: `python3 -I` on a folder, no coopledger.


def _journal(count: int, tamper: dict[int, str] | None = None) -> tuple[list[bytes], list[bytes]]:
    """Fake exported lines, hash-chained as coopledger exports them; return (lines, leaves)."""
    lines, leaves, previous = [], [], "0" * 64
    for seq in range(1, count + 1):
        member = (tamper or {}).get(seq, f"S{seq}")
        unhashed = (
            f'{{"type":"member.admitted","date":"2025-01-{seq:02d}","member":"{member}",'
            f'"name":"Membre {seq}","category":"A","shares":1,"seq":{seq},'
            f'"recorded":"2025-01-01T00:00:{seq:02d}.000000Z"}}'
        ).encode()
        previous = hashlib.sha256(previous.encode() + unhashed).hexdigest()
        lines.append(unhashed[:-1] + f',"hash":"{previous}"}}'.encode())
        leaves.append(merkle.leaf_hash(unhashed))
    return lines, leaves


ORIGIN = "coop.example/jardins"


def _bundle(tmp_path: Path, count: int = 6, sizes: tuple[int, ...] = (3, 6)) -> tuple[Path, cp.PrivateKey]:
    directory = tmp_path / "bundle"
    (directory / "checkpoints").mkdir(parents=True)
    lines, leaves = _journal(count)
    (directory / "journal.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
    key = cp.PrivateKey.generate(ORIGIN)
    cp.write_key_pair(tmp_path / "secret", key)
    (directory / "keys").mkdir()
    shutil.copy(tmp_path / "secret" / f"{key.name.replace('/', '-')}.pub", directory / "keys")
    for size in sizes:
        note = cp.sign(cp.Checkpoint(ORIGIN, size, merkle.root_of(leaves[:size])), key)
        (directory / "checkpoints" / f"{size:04d}.txt").write_text(note.format(), encoding="utf-8")
    shutil.copy(SCRIPT, tmp_path / "verify_bundle.py")
    return directory, key


def _run(tmp_path: Path, *args: object) -> subprocess.CompletedProcess[str]:
    """-I: no environment, no user site; -S: no site-packages either, so only the standard library."""
    command = [sys.executable, "-I", "-S", str(tmp_path / "verify_bundle.py"), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=60)


def test_the_script_imports_the_standard_library_only() -> None:
    tree = ast.parse(SCRIPT.read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert {name.split(".")[0] for name in imported} - {"__future__"} <= sys.stdlib_module_names


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "secret" / "coop.example-jardins.pub"


def test_a_sound_bundle_holds(tmp_path: Path) -> None:
    directory, key = _bundle(tmp_path)
    run = _run(tmp_path, directory)
    assert run.returncode == 0, run.stderr
    assert "journal: 6 entries, hash chain intact" in run.stdout
    assert f"0003.txt: 3 entries, signed by {ORIGIN}: in the journal" in run.stdout
    assert run.stdout.endswith("all holds\n") and key.public_key().key_id.hex() in run.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _replace(d / "journal.jsonl", b'"S2"', b'"S9"'), "line 2: the hash does not match"),
        (
            lambda d: _replace(d / "journal.jsonl", b'"hash":"', b'"hash":"0'),
            "line 1: the hash does not match",
        ),
        (lambda d: _replace(d / "journal.jsonl", b'"hash":"', b'"hash": "'), 'line 1: no "hash" member'),
        (lambda d: _drop_line(d / "journal.jsonl", 2), "line 2 holds sequence number 3"),
        (
            lambda d: _drop_line(d / "journal.jsonl", 6),
            "0006.txt: the checkpoint has 6 entries, the journal only 5",
        ),
        (lambda d: _rewrite(d / "journal.jsonl"), "0003.txt: the journal's first 3 entries are not the tree"),
        (
            lambda d: _replace(d / "checkpoints" / "0003.txt", b"\n3\n", b"\n2\n"),
            "0003.txt: the signature of",
        ),
        (lambda d: (d / "keys" / "coop.example-jardins.pub").unlink(), "no public key"),
    ],
    ids=[
        "payload byte",
        "hash byte",
        "hash respaced",
        "row deleted",
        "tail deleted",
        "rewritten history",
        "forged",
        "no key",
    ],
)
def test_a_changed_bundle_fails_naming_the_problem(tmp_path: Path, change: object, message: str) -> None:
    directory, _ = _bundle(tmp_path)
    assert callable(change)
    change(directory)
    run = _run(tmp_path, directory)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and message in run.stderr, run.stderr


def _replace(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))


def _drop_line(path: Path, seq: int) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[: seq - 1] + lines[seq:]))


def _rewrite(path: Path) -> None:
    """An old entry changed and every hash after it recomputed: the chain holds, the checkpoint does not."""
    lines, _ = _journal(6, tamper={2: "S9"})
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def test_outside_keys_and_checkpoints_replace_the_bundles_own(tmp_path: Path) -> None:
    directory, _ = _bundle(tmp_path)
    other = cp.PrivateKey.generate("someone.else")
    cp.write_key_pair(tmp_path / "other", other)
    run = _run(tmp_path, directory, "--key", tmp_path / "other" / "someone.else.pub")
    assert run.returncode == 1 and "signed by none of the keys (someone.else)" in run.stderr
    minutes = tmp_path / "minutes.txt"
    minutes.write_text(cp.sign(cp.Checkpoint(ORIGIN, 5, b"\x01" * 32), other).format(), encoding="utf-8")
    run = _run(tmp_path, directory, "--checkpoint", minutes, "--key", tmp_path / "other" / "someone.else.pub")
    assert (
        run.returncode == 1 and "0003.txt" in run.stderr
    )  # the bundle's checkpoints need the given keys too


def _proof_file(
    tmp_path: Path, indexes: list[int], size: int = 6, lines: list[bytes] | None = None, name: str = "proof"
) -> Path:
    journal, leaves = _journal(6)
    tree = merkle.MemoryTree(leaves)
    entries = [
        {
            "index": i,
            "line": (lines or journal)[i].decode(),
            "proof": [base64.b64encode(h).decode() for h in merkle.inclusion_proof(i, size, tree.subtree)],
        }
        for i in indexes
    ]
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"origin": ORIGIN, "tree_size": size, "entries": entries}), encoding="utf-8")
    return path


def test_a_members_proofs(tmp_path: Path, key_path: Path) -> None:
    directory, _ = _bundle(tmp_path)
    checkpoint = directory / "checkpoints" / "0006.txt"
    run = _run(
        tmp_path, "--proof", _proof_file(tmp_path, [0, 4]), "--checkpoint", checkpoint, "--key", key_path
    )
    assert run.returncode == 0, run.stderr
    assert (
        f"0006.txt: {ORIGIN}, 6 entries, signed by {ORIGIN}" in run.stdout
        and "2 entries proved" in run.stdout
    )
    run = _run(tmp_path, "--proof", _proof_file(tmp_path, [1]), "--checkpoint", checkpoint)
    assert run.returncode == 0 and "signature NOT checked" in run.stdout

    not_in_tree, _ = _journal(6, tamper={2: "S9"})
    for proof, message in [
        (
            _proof_file(tmp_path, [1], lines=not_in_tree, name="altered"),
            "entry 1: the proof of leaf 1 leads to another root",
        ),
        (_proof_file(tmp_path, [1], size=5, name="smaller"), "the proofs are for coop.example/jardins at 5"),
    ]:
        run = _run(tmp_path, "--proof", proof, "--checkpoint", checkpoint, "--key", key_path)
        assert run.returncode == 1 and message in run.stderr, run.stderr
    forged = tmp_path / "forged.txt"
    forged.write_text(checkpoint.read_text(encoding="utf-8").replace("\n6\n", "\n7\n"), encoding="utf-8")
    run = _run(tmp_path, "--proof", _proof_file(tmp_path, [0]), "--checkpoint", forged, "--key", key_path)
    assert run.returncode == 1 and "does not match" in run.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    shutil.copy(SCRIPT, tmp_path / "verify_bundle.py")
    assert _run(tmp_path).returncode == 2
    assert _run(tmp_path, "--proof", "p.json").returncode == 2
    assert _run(tmp_path, tmp_path, "--proof", "p.json", "--checkpoint", "c.txt").returncode == 2
