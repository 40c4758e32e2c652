"""The unencrypted auth-key exchange (https://core.telegram.org/mtproto/auth_key).

req_pq_multi -> resPQ, req_DH_params -> server_DH_params_ok,
set_client_DH_params -> dh_gen_ok.  The RSA key is the sandbox's own test key;
a client trusts it through ``telethon.crypto.rsa.add_key`` (our client factory
does that from the session file).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from hashlib import sha1
from pathlib import Path

import rsa
import rsa.core
import rsa.prime
from telethon.crypto import AES, AuthKey
from telethon.crypto import rsa as telethon_rsa
from telethon.extensions import BinaryReader
from telethon.helpers import generate_key_data_from_nonce
from telethon.tl import functions as F
from telethon.tl import types as T
from telethon.tl.tlobject import TLObject

from .transport import TransportError

TEST_KEY_PATH = Path(__file__).resolve().parent.parent / "keys" / "test_rsa.pem"

# Telegram's published 2048-bit safe prime with generator 3.
DH_PRIME = int(
    "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f"
    "48198a0aa7c14058229493d22530f4dbfa336f6e0ac925139543aed44cce7c37"
    "20fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f64"
    "2477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4"
    "a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754"
    "fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4"
    "e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f"
    "0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b",
    16,
)
DH_G = 3
_SAFETY_MARGIN = 2 ** (2048 - 64)


class ServerKey:
    """The sandbox's RSA key pair."""

    def __init__(self, path: Path = TEST_KEY_PATH) -> None:
        self.private = rsa.PrivateKey.load_pkcs1(path.read_bytes())
        self.public_pem = rsa.PublicKey(self.private.n, self.private.e).save_pkcs1().decode()
        self.fingerprint = telethon_rsa._compute_fingerprint(self.private)

    def decrypt(self, data: bytes) -> bytes:
        value = rsa.core.decrypt_int(int.from_bytes(data, "big"), self.private.d, self.private.n)
        return value.to_bytes(255, "big")


def _in_safe_range(value: int) -> bool:
    return _SAFETY_MARGIN <= value <= DH_PRIME - _SAFETY_MARGIN


def _read_hashed(blob: bytes) -> object:
    """sha1(data) + data + padding: parse data and check its hash."""
    reader = BinaryReader(blob[20:])
    obj = reader.tgread_object()
    if sha1(blob[20 : 20 + reader.tell_position()]).digest() != blob[:20]:
        raise TransportError("auth key exchange: bad sha1 of inner data")
    return obj


@dataclass
class _Pending:
    nonce: int
    server_nonce: int
    p: int
    q: int
    new_nonce: int = 0
    a: int = 0
    aes_key: bytes = b""
    aes_iv: bytes = b""


class Handshake:
    """One connection's key exchange; returns the new AuthKey when done."""

    def __init__(self, key: ServerKey) -> None:
        self._key = key
        self._pending: _Pending | None = None

    def answer(self, request: object) -> tuple[TLObject, AuthKey | None]:
        if isinstance(request, F.ReqPqMultiRequest | F.ReqPqRequest):
            return self._res_pq(request), None
        if isinstance(request, F.ReqDHParamsRequest):
            return self._server_dh_params(request), None
        if isinstance(request, F.SetClientDHParamsRequest):
            return self._dh_gen(request)
        raise TransportError(f"unexpected unencrypted message {type(request).__name__}")

    def _check(self, request: F.ReqDHParamsRequest | F.SetClientDHParamsRequest) -> _Pending:
        pending = self._pending
        if pending is None or (request.nonce, request.server_nonce) != (pending.nonce, pending.server_nonce):
            raise TransportError("auth key exchange: nonce mismatch")
        return pending

    def _res_pq(self, request: F.ReqPqMultiRequest | F.ReqPqRequest) -> T.ResPQ:
        # Two ~31-bit primes: Telethon's Pollard rho factors their product in milliseconds.
        p, q = sorted((rsa.prime.getprime(31), rsa.prime.getprime(31)))
        server_nonce = int.from_bytes(os.urandom(16), "little", signed=True)
        self._pending = _Pending(request.nonce, server_nonce, p, q)
        return T.ResPQ(
            request.nonce, server_nonce, telethon_rsa.get_byte_array(p * q), [self._key.fingerprint]
        )

    def _server_dh_params(self, request: F.ReqDHParamsRequest) -> T.ServerDHParamsOk:
        pending = self._check(request)
        if request.public_key_fingerprint != self._key.fingerprint:
            raise TransportError("auth key exchange: unknown RSA fingerprint")
        # Telethon still uses the pre-RSA_PAD scheme: sha1(data) + data + padding.
        inner = _read_hashed(self._key.decrypt(request.encrypted_data))
        if not isinstance(inner, T.PQInnerData | T.PQInnerDataDc | T.PQInnerDataTempDc):
            raise TransportError("auth key exchange: expected p_q_inner_data")
        if (inner.nonce, inner.server_nonce) != (pending.nonce, pending.server_nonce):
            raise TransportError("auth key exchange: nonce mismatch in p_q_inner_data")
        if (int.from_bytes(inner.p, "big"), int.from_bytes(inner.q, "big")) != (pending.p, pending.q):
            raise TransportError("auth key exchange: wrong factorisation of pq")
        while True:
            a = int.from_bytes(os.urandom(256), "big")
            g_a = pow(DH_G, a, DH_PRIME)
            if _in_safe_range(g_a):
                break
        answer = bytes(
            T.ServerDHInnerData(
                pending.nonce,
                pending.server_nonce,
                DH_G,
                telethon_rsa.get_byte_array(DH_PRIME),
                telethon_rsa.get_byte_array(g_a),
                int(time.time()),
            )
        )
        answer = sha1(answer).digest() + answer
        answer += os.urandom(-len(answer) % 16)
        aes_key, aes_iv = generate_key_data_from_nonce(pending.server_nonce, inner.new_nonce)
        pending.new_nonce, pending.a, pending.aes_key, pending.aes_iv = inner.new_nonce, a, aes_key, aes_iv
        return T.ServerDHParamsOk(
            pending.nonce, pending.server_nonce, AES.encrypt_ige(answer, aes_key, aes_iv)
        )

    def _dh_gen(self, request: F.SetClientDHParamsRequest) -> tuple[T.DhGenOk, AuthKey]:
        pending = self._check(request)
        inner = _read_hashed(AES.decrypt_ige(request.encrypted_data, pending.aes_key, pending.aes_iv))
        if not isinstance(inner, T.ClientDHInnerData):
            raise TransportError("auth key exchange: expected client_DH_inner_data")
        g_b = int.from_bytes(inner.g_b, "big")
        if not _in_safe_range(g_b):
            raise TransportError("auth key exchange: g_b outside the safe range")
        # Telethon builds the key with get_byte_array, which does not left-pad to
        # 256 bytes; about 1 key in 200 is 255 bytes long. Mirror it so both agree.
        auth_key = AuthKey(telethon_rsa.get_byte_array(pow(g_b, pending.a, DH_PRIME)))
        self._pending = None
        answer = T.DhGenOk(
            pending.nonce, pending.server_nonce, auth_key.calc_new_nonce_hash(pending.new_nonce, 1)
        )
        return answer, auth_key
