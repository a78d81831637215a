"""`kofu card`: virtual JPKI cards (serve into a PC/SC reader, info, export)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Virtual JPKI cards: serve into vpcd, show, export.", no_args_is_help=True)

CardArg = Annotated[Path, typer.Argument(help="The virtual card file (TEST KEYS ONLY).")]


def _fail(message: str) -> typer.Exit:
    from kofu.rules.reasons import Reason

    typer.echo(f"error [{Reason.UNREADABLE.value}]: {message}", err=True)
    return typer.Exit(2)


@app.command()
def serve(
    card: CardArg,
    vpcd: Annotated[str, typer.Option(help="vpcd's host:port (reader 'Virtual PCD 00 00' is :35963).")] = (
        "127.0.0.1:35963"
    ),
    biometric_sample: Annotated[
        Path | None,
        typer.Option(help="Phones: a file whose bytes the simulated sensor reads at each biometric VERIFY."),
    ] = None,
) -> None:
    """Put the card into vsmartcard's vpcd reader until SIGTERM or Ctrl-C; reconnects if vpcd restarts."""
    import signal
    import threading

    from kofu.card.biometric import SimulatedSensor
    from kofu.card.cardfile import CardFileError, read_card_file
    from kofu.card.virtual import VirtualCard
    from kofu.card.vpcd import VpcdBridge, parse_address

    try:
        host, port = parse_address(vpcd)
        read_card_file(card)
        sample = biometric_sample.read_bytes() if biometric_sample is not None else None
    except (ValueError, CardFileError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot read {exc.filename}: {exc.strerror}") from None
    sensor = SimulatedSensor(sample).capture if sample is not None else None
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo(f"serving {card.name} into vpcd at {host}:{port} (SIGTERM or Ctrl-C stops)", err=True)
    VpcdBridge(VirtualCard(card, biometric=sensor), host, port, stop=stop).run()
    typer.echo("stopped", err=True)


@app.command()
def info(card: CardArg) -> None:
    """Kind, certificate serials and tries left, read from the file (no APDU; counters untouched)."""
    from kofu.card import constants as c
    from kofu.card.cardfile import CardFileError, read_card_file

    try:
        content = read_card_file(card)
    except CardFileError as exc:
        raise _fail(str(exc)) from None

    def tries(left: int, most: int) -> str:
        return f"{left}/{most}" + (" (blocked)" if left == 0 else "")

    typer.echo(f"kind: {content.kind}")
    typer.echo(f"user-authentication certificate serial: {content.auth_serial} ({content.auth_serial:#x})")
    typer.echo(f"signing certificate serial: {content.sign_serial} ({content.sign_serial:#x})")
    typer.echo(f"PIN tries left: {tries(content.pin_tries_left, c.PIN_MAX_TRIES)}")
    typer.echo(f"signing password tries left: {tries(content.sign_tries_left, c.SIGN_PASSWORD_MAX_TRIES)}")


@app.command()
def export(
    card: CardArg,
    auth_cert: Annotated[Path, typer.Option("--auth-cert", help="Write the user-authentication cert (PEM).")],
    auth_ca: Annotated[Path, typer.Option("--auth-ca", help="Write its CA certificate (PEM).")],
) -> None:
    """Write the user-authentication certificate and its CA certificate as PEM (for openssl ocsp etc.)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from kofu.card.cardfile import CardFileError, read_card_file

    try:
        content = read_card_file(card)
        for der, out in ((content.auth.cert_der, auth_cert), (content.auth.ca_cert_der, auth_ca)):
            out.write_bytes(x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM))
    except CardFileError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot write {exc.filename}: {exc.strerror}") from None
    typer.echo(f"wrote {auth_cert} and {auth_ca}")


if __name__ == "__main__":
    app()
