"""A small mikeyd client for deployment checks (container test, scale-out).

Uses Debian's python3-grpcio and the stubs generated from broker.proto (put
their directory, .../broker_cc_proto_codegen, on sys.path before importing
this module). The health service is called with hand-encoded protobuf, since
Debian ships no Python stubs for grpc.health.v1:

  HealthCheckRequest  { string service = 1; }
  HealthCheckResponse { ServingStatus status = 1; }  SERVING = 1

Every function raises AssertionError (or grpc.RpcError) on a wrong answer, so
callers can use them directly as test cases.
"""

import base64
import time

import grpc
from mikey.broker.v1 import broker_pb2
from mikey.broker.v1 import broker_pb2_grpc

BROKER_SERVICE = "mikey.broker.v1.KeyBroker"
SERVING = 1

# A PSK I_MESSAGE written by hand from RFC 3830 section 6, with a NULL KEMAC
# (the same message as tests/e2e/decode_e2e_test.py): HDR, T, RAND, SP, KEMAC.
PSK_MESSAGE = bytes.fromhex(
    "01000500" "12345678" "0100" "00deadbeef00000007"
    "0b00" "e93c7f0080000000"
    "0a10" "000102030405060708090a0b0c0d0e0f"
    "010000001a" "000101" "010110" "020101" "070101" "0b010a"
    "c809505152535455565758"
    "00000029" "00310010a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
    "000eb0b1b2b3b4b5b6b7b8b9babbbcbd0400000001" "00")


def _encode_string_field(number, s):
    b = s.encode()
    assert len(b) < 128
    return bytes([number << 3 | 2, len(b)]) + b if b else b""


def health_status(channel, service="", timeout=5):
    """The serving status (1 = SERVING) grpc.health.v1.Health/Check reports."""
    check = channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=lambda b: b, response_deserializer=lambda b: b)
    reply = check(_encode_string_field(1, service), timeout=timeout)
    if reply == b"":
        return 0  # UNKNOWN (the default value is not encoded)
    if len(reply) != 2 or reply[0] != 0x08:
        raise AssertionError("unexpected HealthCheckResponse %r" % reply)
    return reply[1]


def wait_serving(target, deadline_seconds=30, service=BROKER_SERVICE):
    """Polls health until SERVING; returns the seconds it took."""
    start = time.monotonic()
    last = None
    while time.monotonic() - start < deadline_seconds:
        channel = grpc.insecure_channel(target)
        try:
            if health_status(channel, service, timeout=2) == SERVING:
                return time.monotonic() - start
        except grpc.RpcError as e:
            last = e.code()
        finally:
            channel.close()
        time.sleep(0.2)
    raise AssertionError("%s not SERVING after %ss (last: %s)" %
                         (target, deadline_seconds, last))


def check_health(channel):
    for service in ("", BROKER_SERVICE):
        status = health_status(channel, service)
        if status != SERVING:
            raise AssertionError("health(%r) = %d, want SERVING" %
                                 (service, status))


def check_decode(stub):
    """Decode of a hand-written message gives its known structure."""
    sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
           "a=key-mgmt:mikey %s\r\nm=audio 5004 RTP/SAVP 0\r\n" %
           base64.b64encode(PSK_MESSAGE).decode())
    r = stub.Decode(broker_pb2.DecodeRequest(
        input=broker_pb2.MikeyInput(text=sdp)), timeout=10)
    h = r.message.header
    got = (r.input_form, h.data_type, h.csb_id,
           [(e.cs_id, e.ssrc, e.roc) for e in h.srtp_map],
           [p.offset for p in r.message.payloads])
    want = (broker_pb2.INPUT_FORM_SDP, broker_pb2.DATA_TYPE_PSK_INIT,
            0x12345678, [(1, 0xDEADBEEF, 7)], [19, 29, 47, 78])
    if got != want:
        raise AssertionError("Decode: got %r, want %r" % (got, want))


def psk_exchange(stub, key_id, suite="AES_CM_128_HMAC_SHA1_80", ssrc=0x1234):
    """Initiate (sender) and Respond (receiver) with keystore key `key_id`;
    both sides must end with the same SRTP master key and salt. Returns
    (InitiateResponse, RespondResponse)."""
    init = stub.Initiate(broker_pb2.InitiateRequest(
        mode=broker_pb2.MODE_PSK, suite=suite,
        streams=[broker_pb2.StreamSpec(ssrc=ssrc)],
        key=broker_pb2.KeyReference(key_id=key_id)), timeout=10)
    if not init.key_mgmt.startswith("mikey "):
        raise AssertionError("Initiate key_mgmt %r" % init.key_mgmt[:20])
    resp = stub.Respond(broker_pb2.RespondRequest(
        input=broker_pb2.MikeyInput(text="a=key-mgmt:" + init.key_mgmt),
        key=broker_pb2.KeyReference(key_id=key_id)), timeout=10)
    if len(init.streams) != 1 or len(resp.streams) != 1:
        raise AssertionError("streams: %d / %d" %
                             (len(init.streams), len(resp.streams)))
    a, b = init.streams[0], resp.streams[0]
    if (a.ssrc, a.suite, a.csb_id) != (b.ssrc, b.suite, b.csb_id):
        raise AssertionError("stream mismatch %r vs %r" %
                             ((a.ssrc, a.suite, a.csb_id),
                              (b.ssrc, b.suite, b.csb_id)))
    if a.ssrc != ssrc or a.suite != suite:
        raise AssertionError("stream %r" % ((a.ssrc, a.suite),))
    if len(a.master_key) != 16 or len(a.master_salt) != 14:
        raise AssertionError("key/salt lengths %d/%d" %
                             (len(a.master_key), len(a.master_salt)))
    # Compared, never printed.
    if a.master_key != b.master_key or a.master_salt != b.master_salt:
        raise AssertionError("Initiator and Responder keys differ")
    return init, resp


def respond_code(stub, key_mgmt, key_id):
    """The status code of a Respond (grpc.StatusCode.OK if it succeeds)."""
    try:
        stub.Respond(broker_pb2.RespondRequest(
            input=broker_pb2.MikeyInput(text="a=key-mgmt:" + key_mgmt),
            key=broker_pb2.KeyReference(key_id=key_id)), timeout=10)
    except grpc.RpcError as e:
        return e.code()
    return grpc.StatusCode.OK


def broker_stub(channel):
    return broker_pb2_grpc.KeyBrokerStub(channel)
