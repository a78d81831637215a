"""Key custody (issue 22, T5): the verification service holds its own decryption key and the
municipalities' *published* keys only; a municipal server holds its signing keys and the verifier's
public key only.

T5 as found: the public verification service loaded every municipality's private document-signing
keys (`signer.key.pem`, `cose.key.pem`) from the home folder, and without them it trusted nothing.
"""

from __future__ import annotations

import ast
import base64
import datetime as dt
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import typer
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import kofu
from kofu.documents_cli import app as documents_app
from kofu.rules.rulebook import load_rulebook
from kofu.settings import Settings
from kofu.verify.register import migrate_verify
from kofu.wire.statements import PUBLIC_FILE, center_key_path, public_pem, signing_key

OHIRA = "044245"
SRC = Path(kofu.__file__).parent

# What the municipal server holds and the verification service must never hold, nor even import.
SIGNING_MODULES = ("kofu.documents.keys", "kofu.documents.seal", "kofu.documents.issue", "kofu.jpki")


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(documents_app, name="documents")

    @app.callback()
    def _root() -> None:
        pass

    return app


def _run(home: Path, *args: str) -> str:
    """`kofu documents ARGS` with KOFU_HOME=home; its output (the command must succeed)."""
    result = CliRunner().invoke(_cli(), ["documents", *args], obj=Settings(home=home))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def homes(tmp_path: Path) -> tuple[Path, Path]:
    """A municipal server's home and a verification service's home, each set up as an operator would.

    The verification service makes its key pair; its public key is given to the municipal server;
    the municipal server exports its published key set; the set is given to the verification service.
    """
    municipal, verifier = tmp_path / "municipal", tmp_path / "verify"
    _run(verifier, "keys", "verifier")
    given = municipal / "keys" / "verify" / "verifier.pub.pem"
    given.parent.mkdir(parents=True)
    shutil.copy(verifier / "keys" / "verify" / "verifier.pub.pem", given)
    center_key = signing_key(center_key_path(tmp_path / "center")).key.public_key()
    (municipal / "keys" / "center").mkdir(parents=True)
    (municipal / "keys" / "center" / PUBLIC_FILE).write_bytes(public_pem(center_key))  # the center's, given
    exported = tmp_path / "ohira-keys.json"
    _run(municipal, "keys", "export", "--rulebook", "ohira", "--out", str(exported))
    (verifier / "keys" / "published").mkdir(parents=True)
    shutil.copy(exported, verifier / "keys" / "published" / "044245.json")
    migrate_verify(Settings(home=verifier).db_url)  # its register, empty: the center feeds it
    return municipal, verifier


def _sample(home: Path, out: Path, kind: str = "juminhyo") -> bytes:
    _run(home, "sample", "--kind", kind, "--out", str(out))
    return out.read_bytes()


def _private_key_files(home: Path) -> list[str]:
    return sorted(
        str(p.relative_to(home)) for p in home.rglob("*") if p.is_file() and b"PRIVATE KEY" in p.read_bytes()
    )


def test_t5_verify_service_without_any_municipal_private_key_finds_a_genuine_document(
    homes: tuple[Path, Path], tmp_path: Path
) -> None:
    """T5: a home with the published set and the verifier's own key verifies, and shows the content."""
    from kofu.verify import verify_bytes
    from kofu.verify.web import create_app

    municipal, verifier = homes
    pdf = _sample(municipal, tmp_path / "juminhyo.pdf")
    assert _private_key_files(verifier) == ["keys/verify/verifier.key.pem"]
    verdict = verify_bytes(pdf, home=verifier)
    assert verdict.genuine, verdict.reasons
    assert verdict.content is not None  # the encrypted copy opened with the verifier's own key
    page = TestClient(create_app(home=verifier), raise_server_exceptions=False)
    answer = page.post("/api/verify", files={"file": ("doc.pdf", pdf, "application/pdf")}).json()
    assert answer["status"] == "genuine", answer["reasons"]
    assert answer["content"]["members"][0]["name"]
    assert _private_key_files(verifier) == ["keys/verify/verifier.key.pem"]  # nothing made meanwhile


def test_t5_the_municipal_server_holds_the_verifiers_public_key_only(homes: tuple[Path, Path]) -> None:
    municipal, verifier = homes
    assert sorted(f for f in _private_key_files(municipal) if f.startswith("keys/verify")) == []
    from kofu.documents.published import KeySetError, load_verifier_public

    with pytest.raises(KeySetError, match="private key"):  # handed the private key by mistake: refused
        load_verifier_public(verifier / "keys" / "verify" / "verifier.key.pem")


def test_t5_a_municipal_server_without_the_verifiers_public_key_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _cli(),
        ["documents", "sample", "--kind", "inkan", "--out", str(tmp_path / "x.pdf")],
        obj=Settings(home=tmp_path / "bare"),
    )
    assert result.exit_code == 2
    assert "verifier.pub.pem" in result.output and "kofu documents keys verifier" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_t5_the_export_holds_the_public_keys_and_nothing_private(
    homes: tuple[Path, Path], tmp_path: Path
) -> None:
    """The published set: code, name, CA and signer certificates, COSE public key and kid, validity."""
    from kofu.documents.cose import key_id
    from kofu.documents.keys import sealing_keys

    municipal, _ = homes
    book = load_rulebook("ohira")
    keys = sealing_keys(municipal, book.code, book.name)
    raw = (tmp_path / "ohira-keys.json").read_text(encoding="utf-8")
    assert "PRIVATE" not in raw and '"d"' not in raw
    document = json.loads(raw)
    assert document["kofu_keyset"] == 1
    (entry,) = document["keys"]
    assert (entry["municipality_code"], entry["municipality_name"]) == (OHIRA, "大衡村")
    ca = x509.load_der_x509_certificate(base64.b64decode(entry["ca_certificate"]))
    signer = x509.load_der_x509_certificate(base64.b64decode(entry["signer_certificate"]))
    assert ca == keys.ca_cert and signer == keys.signer_cert
    signer.verify_directly_issued_by(ca)
    cose = entry["cose"]
    assert (cose["kty"], cose["crv"], cose["alg"]) == ("EC", "P-256", "ES256")
    numbers = keys.cose_key.public_key().public_numbers()

    def unb64(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    assert int.from_bytes(unb64(cose["x"])) == numbers.x and int.from_bytes(unb64(cose["y"])) == numbers.y
    assert unb64(cose["kid"]) == key_id(keys.cose_key.public_key())
    assert entry["not_before"] == signer.not_valid_before_utc.isoformat()
    assert entry["not_after"] == signer.not_valid_after_utc.isoformat()


def test_t5_the_municipal_server_serves_its_published_set(homes: tuple[Path, Path], tmp_path: Path) -> None:
    """`GET /.well-known/kofu/keys`: the same set `kofu documents keys export` writes."""
    from kofu.municipal.app import create_app
    from kofu.municipal.config import MunicipalConfig

    municipal, _ = homes
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    app = create_app(MunicipalConfig(registry_url=url, rulebook="ohira", home=municipal))
    try:
        served = TestClient(app).get("/.well-known/kofu/keys")
    finally:
        app.state.service.close()
    assert served.status_code == 200
    assert served.json() == json.loads((tmp_path / "ohira-keys.json").read_text(encoding="utf-8"))


def test_t5_a_document_sealed_with_a_key_not_in_the_set_is_unknown(
    homes: tuple[Path, Path], tmp_path: Path
) -> None:
    """Same municipality code, other keys (and the same verifier): not in the published set → unknown."""
    from kofu.documents.info import SIGNED_KEY
    from kofu.documents.info_read import info_entries
    from kofu.verify import verify_bytes
    from kofu.verify.core import verify_codes
    from kofu.verify.trust import Trust

    municipal, verifier = homes
    impostor = tmp_path / "impostor"
    (impostor / "keys" / "verify").mkdir(parents=True)
    shutil.copy(municipal / "keys" / "verify" / "verifier.pub.pem", impostor / "keys" / "verify")
    pdf = _sample(impostor, tmp_path / "forged.pdf", "inkan")
    verdict = verify_bytes(pdf, home=verifier)
    assert (verdict.status.value, [r.value for r in verdict.reasons]) == ("unknown", ["key_unknown"])
    signed = info_entries(pdf)[SIGNED_KEY]  # the back's signed code alone (a photo of the back)
    back = verify_codes(
        [signed], trust=Trust.from_home(verifier), register=None, today=dt.date(2026, 1, 5), source="image"
    )
    assert (back.status.value, [r.value for r in back.reasons]) == ("unknown", ["key_unknown"])
    genuine = _sample(municipal, tmp_path / "genuine.pdf", "inkan")
    assert verify_bytes(genuine, home=verifier).genuine  # the set's own key still verifies


def test_t5_a_tampered_set_is_refused_naming_the_file(homes: tuple[Path, Path], tmp_path: Path) -> None:
    from kofu.documents.published import KeySetError, read_keyset

    _, verifier = homes
    path = verifier / "keys" / "published" / "044245.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    other = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    document["keys"][0]["cose"]["x"] = base64.urlsafe_b64encode(other.x.to_bytes(32)).decode().rstrip("=")
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(KeySetError, match=r"044245\.json"):
        read_keyset(path.parent)
    document["keys"][0]["extra"] = "x"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(KeySetError, match="extra"):
        read_keyset(path)


def _imports(path: Path) -> set[str]:
    """Every kofu module `path` imports, at any level (TYPE_CHECKING blocks and functions too)."""
    module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
    # the package relative imports start from
    package = module.removesuffix(".__init__") if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("kofu"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            if base.startswith("kofu"):
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)  # `from kofu.x import module`
    return found


def _module_file(name: str) -> Path | None:
    base = SRC.parent.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def import_graph(*roots: str) -> set[str]:
    """The kofu modules reachable from `roots` through imports."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if name in seen or path is None:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(2, len(parts))]  # a module's packages run first
        todo += sorted(_imports(path))
    return seen


def test_t5_the_verify_package_cannot_even_name_a_private_signing_key() -> None:
    """No module reachable from kofu.verify imports the sealing keys, the seal or a CA's keys."""
    roots = [
        ".".join(p.relative_to(SRC.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in (SRC / "verify").rglob("*.py")
    ]
    graph = import_graph(*roots)
    reached = sorted(m for m in graph if any(m == s or m.startswith(s + ".") for s in SIGNING_MODULES))
    assert reached == []  # today: kofu.documents.keys, kofu.documents.seal
    assert "kofu.documents.published" in graph and "kofu.verify.key" in graph  # what it does hold


def test_the_import_graph_scan_would_catch_a_signing_import() -> None:
    assert "kofu.documents.keys" in import_graph("kofu.municipal.service")
    assert "kofu.documents.seal" in import_graph("kofu.documents.issue")


def test_t5_a_running_verify_service_holds_no_private_key_but_its_own(homes: tuple[Path, Path]) -> None:
    """In a fresh process: the page built from the verifier's home verifies a genuine document, and
    then no object in the process refers to a private key other than the verifier's own."""
    municipal, verifier = homes
    pdf = municipal / "doc.pdf"
    _sample(municipal, pdf, "kazei")
    script = textwrap.dedent(
        f"""
        import gc, sys
        from pathlib import Path
        from cryptography.hazmat.primitives.asymmetric import ec, rsa, ed25519, ed448
        from fastapi.testclient import TestClient
        from kofu.verify.web import create_app

        app = create_app(home=Path({str(verifier)!r}))
        data = Path({str(pdf)!r}).read_bytes()
        answer = TestClient(app).post("/api/verify", files={{"file": ("d.pdf", data, "application/pdf")}})
        assert answer.json()["status"] == "genuine", answer.json()
        private = (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey,
                   ed448.Ed448PrivateKey)
        found = {{}}
        for holder in gc.get_objects():
            for item in gc.get_referents(holder):
                if isinstance(item, private):
                    found[id(item)] = item
        ecs = [k for k in found.values() if isinstance(k, ec.EllipticCurvePrivateKey)]
        print([k.public_key().public_numbers().x for k in ecs])
        print(len(found))
        signing = {SIGNING_MODULES!r}
        print(sorted(m for m in sys.modules if any(m == s or m.startswith(s + ".") for s in signing)))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    xs, count, modules = result.stdout.strip().splitlines()[-3:]
    own = serialization.load_pem_public_key((verifier / "keys" / "verify" / "verifier.pub.pem").read_bytes())
    assert isinstance(own, ec.EllipticCurvePublicKey)
    assert json.loads(xs) == [own.public_numbers().x] and count == "1"
    assert modules == "[]"


def test_t5_settings_name_the_key_set_and_the_verifiers_public_key(
    homes: tuple[Path, Path], tmp_path: Path
) -> None:
    """`[verify] keyset` (a file here) for the page and `kofu verify`; `[municipal] verifier_public_key`."""
    from kofu.municipal.config import build_config_from_settings
    from kofu.verify.cli import verify

    municipal, verifier = homes
    pdf = tmp_path / "inkan.pdf"
    _sample(municipal, pdf, "inkan")
    elsewhere = tmp_path / "elsewhere.json"
    (verifier / "keys" / "published" / "044245.json").rename(elsewhere)
    app = typer.Typer()
    app.command("verify")(verify)

    @app.callback()
    def _root() -> None:
        pass

    def check(settings: Settings) -> str:
        result = CliRunner().invoke(app, ["verify", str(pdf), "--json"], obj=settings)
        return str(json.loads(result.output.strip().splitlines()[-1])["reasons"][:1])

    told = Settings(home=verifier, verify={"keyset": str(elsewhere)})
    assert "key_unknown" in check(Settings(home=verifier))  # the default folder is empty now
    assert "key_unknown" not in check(told)  # document_unknown: this verifier's register is empty
    from kofu.verify import verify_bytes
    from kofu.verify.trust import Trust, keyset_location

    assert verify_bytes(pdf.read_bytes(), trust=Trust.from_home(verifier, keyset_location(told))).genuine
    given = tmp_path / "given.pem"
    given.write_bytes((municipal / "keys" / "verify" / "verifier.pub.pem").read_bytes())
    config = build_config_from_settings(
        Settings(home=municipal, municipal={"verifier_public_key": str(given)})
    )
    assert config.verifier_public_path == given
    assert build_config_from_settings(Settings(home=municipal)).verifier_public_path == (
        municipal / "keys" / "verify" / "verifier.pub.pem"
    )


def test_t5_a_broken_set_stops_the_page_and_a_later_break_keeps_what_was_trusted(
    homes: tuple[Path, Path], tmp_path: Path
) -> None:
    from kofu.documents.published import KeySetError
    from kofu.verify.web import create_app

    municipal, verifier = homes
    pdf = _sample(municipal, tmp_path / "fuhyo.pdf", "fuhyo")
    page = TestClient(create_app(home=verifier), raise_server_exceptions=False)
    (verifier / "keys" / "published" / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(KeySetError, match=r"broken\.json"):
        create_app(home=verifier)
    impostor = tmp_path / "impostor"
    (impostor / "keys" / "verify").mkdir(parents=True)
    shutil.copy(municipal / "keys" / "verify" / "verifier.pub.pem", impostor / "keys" / "verify")
    forged = _sample(impostor, tmp_path / "forged.pdf", "fuhyo")
    post = {"files": {"file": ("d.pdf", forged, "application/pdf")}}
    assert page.post("/api/verify", **post).json()["reasons"][0]["code"] == "key_unknown"  # type: ignore[arg-type]
    post = {"files": {"file": ("d.pdf", pdf, "application/pdf")}}
    assert page.post("/api/verify", **post).json()["status"] == "genuine"  # type: ignore[arg-type]


def test_t5_the_demo_on_a_home_made_by_an_older_kofu_starts_and_says_what_to_do(tmp_path: Path) -> None:
    """The old layout: sealing keys with a verifier key in each municipality's folder, no keys/verify,
    no published sets. What is missing is made, the old keys are kept, the left-over file is named."""
    import io

    from rich.console import Console

    from kofu.demo.world import ensure_document_keys
    from kofu.documents import samples
    from kofu.documents.issue import render_and_seal
    from kofu.documents.keys import generate, sealing_keys
    from kofu.verify import verify_bytes

    home = tmp_path / "var"
    for code, name in ((OHIRA, "大衡村"), ("993018", "北山町")):
        folder = home / "keys" / "documents" / code
        generate(folder, code, name)
        old = ec.generate_private_key(ec.SECP256R1())
        pem = old.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        (folder / "verifier.key.pem").write_bytes(pem)
    kept = x509.load_pem_x509_certificate(
        (home / "keys" / "documents" / OHIRA / "signer.cert.pem").read_bytes()
    )
    out = io.StringIO()
    ensure_document_keys(home, Console(file=out, width=400))
    said = out.getvalue()
    assert "keys/documents/044245/verifier.key.pem" in said and "Delete" in said
    assert sorted(p.name for p in (home / "keys" / "published").iterdir()) == ["044245.json", "993018.json"]
    book = load_rulebook("ohira")
    keys = sealing_keys(home, book.code, book.name)
    assert keys.signer_cert == kept  # the municipality's keys are kept, not replaced
    given = serialization.load_pem_public_key((home / "keys" / "verify" / "verifier.pub.pem").read_bytes())
    assert isinstance(given, ec.EllipticCurvePublicKey)
    pdf = render_and_seal(samples.inkan(book), keys, given)
    verdict = verify_bytes(pdf, home=home)
    assert verdict.genuine and verdict.content is not None, verdict.reasons
    ensure_document_keys(home, Console(file=io.StringIO()))  # a second start changes nothing it needs
    assert verify_bytes(pdf, home=home).genuine


def test_an_unknown_key_rereads_the_sets_only_when_they_changed(homes: tuple[Path, Path]) -> None:
    """Each upload with an unknown key asks for a reload: the sets are parsed again only if a file changed."""
    from kofu.verify.trust import KeySource

    _, verifier = homes
    source = KeySource(verifier)
    first = source.load()
    assert source.reload(first) is first
    path = verifier / "keys" / "published" / "044245.json"
    path.write_bytes(path.read_bytes() + b"\n")
    again = source.reload(first)
    assert again is not first and again.kids == first.kids
