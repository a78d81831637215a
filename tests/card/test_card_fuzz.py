"""Fuzzing the applet (hypothesis): no APDU sequence crashes it, signs without the verified secret,
reads the signing certificate without the signing password, or raises a retry counter (PIN-1, PIN-2)."""

from __future__ import annotations

from dataclasses import dataclass

from card_testkit import FACE, MANAGEMENT_KEY, PIN, SIGN_PASSWORD, Material
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kofu.card import apdu
from kofu.card import constants as c
from kofu.card.applet import JpkiApplet
from kofu.card.biometric import enroll
from kofu.card.cardfile import new_card_file
from kofu.card.client import sha256_digest_info

RESET = b"<reset>"  # not an APDU: power-off/reset of the card between commands

secrets_pool = st.sampled_from([PIN.encode(), b"0000", SIGN_PASSWORD.encode(), b"WRONG1", b"BIO", b""])
file_ids = st.one_of(st.sampled_from(sorted(c.CERT_EFS | c.KEY_EFS | c.PIN_EFS)), st.integers(0, 0xFFFF))
commands = st.one_of(
    st.just(RESET),
    st.just(apdu.select_aid()),
    file_ids.map(apdu.select_ef),
    st.builds(apdu.read_binary, st.integers(0, 0x7FFF) | st.integers(0, 1500), st.integers(1, 256)),
    st.builds(apdu.verify, secrets_pool | st.binary(max_size=20)),
    st.builds(apdu.sign, st.binary(min_size=1, max_size=255) | st.just(sha256_digest_info(b"m"))),
    st.just(apdu.get_challenge()),
    st.builds(apdu.external_authenticate, st.binary(min_size=32, max_size=32)),
    st.builds(
        apdu.reset_retry_counter, st.sampled_from([b"4321", b"NEWPASS1"]) | st.binary(min_size=1, max_size=20)
    ),
    st.builds(
        lambda head, body: head + body,
        st.binary(min_size=4, max_size=4)
        | st.sampled_from([b"\x00\xa4\x02\x0c", b"\x80\x2a\x00\x80", b"\x00\xb0\x00\x00"]),
        st.binary(max_size=262),
    ),
    st.binary(max_size=12),
)
# A step: optionally SELECT the application, SELECT a file, then any command (reaches deep states often).
focused = st.one_of(
    st.builds(apdu.verify, secrets_pool),
    st.builds(apdu.sign, st.just(sha256_digest_info(b"m")) | st.binary(min_size=1, max_size=245)),
    st.builds(apdu.read_binary, st.integers(0, 300), st.integers(1, 256)),
    st.builds(apdu.reset_retry_counter, st.sampled_from([b"4321", b"NEWPASS1"])),
    commands,
)
known_files = st.sampled_from(sorted(c.CERT_EFS | c.KEY_EFS | c.PIN_EFS))
steps = st.tuples(st.integers(0, 3), known_files | file_ids, focused).map(
    lambda t: [*([apdu.select_aid()] if t[0] else []), apdu.select_ef(t[1]), t[2]]
)
sequences = st.lists(st.one_of(steps, commands.map(lambda x: [x])), min_size=3, max_size=20).map(
    lambda groups: [command for group in groups for command in group]
)


@dataclass
class Model:
    """What a correct card may have unlocked, tracked from the card's own answers."""

    selected: int | None = None
    pin_ok: bool = False
    sign_ok: bool = False


VALID_SW1 = {0x90, 0x62, 0x63, 0x67, 0x69, 0x6A, 0x6B, 0x6D, 0x6E}


def _flow(file_id: int, *tail: bytes) -> list[bytes]:
    return [apdu.select_aid(), apdu.select_ef(file_id), *tail]


UNLOCK = _flow(c.EF_AUTH_PIN, apdu.verify(PIN.encode()))


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@example(sequence=_flow(c.EF_AUTH_KEY, apdu.sign(sha256_digest_info(b"m"))), kind="card", face=False)
@example(sequence=_flow(c.EF_SIGN_CERT, apdu.read_binary(0, 4)), kind="card", face=False)
@example(sequence=_flow(c.EF_AUTH_PIN, apdu.reset_retry_counter(b"4321")), kind="card", face=False)
@example(sequence=_flow(c.EF_SIGN_PIN, apdu.verify(b"WRONG1"), apdu.verify(None)), kind="card", face=True)
@example(sequence=[*UNLOCK, RESET, *_flow(c.EF_AUTH_KEY, apdu.sign(b"\1"))], kind="card", face=False)
@given(sequence=sequences, kind=st.sampled_from(["card", "phone"]), face=st.booleans())
def test_pin1_pin2_no_apdu_sequence_breaks_the_card(
    material: Material, sequence: list[bytes], kind: str, face: bool
) -> None:
    card = new_card_file(
        kind=kind,  # type: ignore[arg-type]
        auth=material.auth,
        sign=material.sign,
        pin=PIN,
        sign_password=SIGN_PASSWORD,
        management_key=MANAGEMENT_KEY,
        biometric_template=enroll(FACE) if kind == "phone" else None,
    )
    applet = JpkiApplet(biometric=lambda: FACE if face else b"stranger")
    model = Model()
    for command in sequence:
        if command == RESET:
            applet.reset()
            model = Model()
            continue
        before = (card.pin_tries_left, card.sign_tries_left)
        response, card = applet.process(card, command)
        assert len(response) >= 2 and response[-2] in VALID_SW1, response.hex()
        data, sw = response[:-2], int.from_bytes(response[-2:], "big")
        ins = command[1] if len(command) > 1 else None
        after = (card.pin_tries_left, card.sign_tries_left)
        # A counter never goes up, except to its maximum by a successful VERIFY or RESET RETRY COUNTER.
        for old, new, top in zip(before, after, (c.PIN_MAX_TRIES, c.SIGN_PASSWORD_MAX_TRIES), strict=True):
            if new > old:
                assert sw == c.SW_OK and ins in (c.INS_VERIFY, c.INS_RESET_RETRY_COUNTER) and new == top
        if sw not in (c.SW_OK, c.SW_END_OF_FILE):
            if ins == c.INS_VERIFY and (sw & 0xFFF0) == 0x63C0 and len(command) > 5:
                if model.selected == c.EF_AUTH_PIN:
                    model.pin_ok = False
                if model.selected == c.EF_SIGN_PIN:
                    model.sign_ok = False
            continue
        if ins == c.INS_SELECT:
            model.selected = int.from_bytes(command[5:7], "big") if command[2] == c.P1_SELECT_EF else None
        elif ins == c.INS_VERIFY and len(command) > 5:
            model.pin_ok |= model.selected == c.EF_AUTH_PIN
            model.sign_ok |= model.selected == c.EF_SIGN_PIN
        elif ins == c.INS_SIGN:
            assert model.selected in c.KEY_EFS and len(data) == 256
            assert model.pin_ok if model.selected == c.EF_AUTH_KEY else model.sign_ok, "signed without secret"
        elif ins == c.INS_READ_BINARY and model.selected == c.EF_SIGN_CERT:
            assert model.sign_ok, "read the signing certificate without the signing password"
        elif ins == c.INS_RESET_RETRY_COUNTER:
            raise AssertionError("reset without card-management authentication")
