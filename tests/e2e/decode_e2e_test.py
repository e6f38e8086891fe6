"""End-to-end test of mikeyd's Decode RPC, health and reflection services.

Starts mikeyd on a free loopback port (--listen=127.0.0.1:0, reading the port
from its "mikeyd listening on" line), talks to it with python3-grpcio and the
stubs generated from broker.proto, cross-checks `mikeyctl decode` offline and
against the server, and stops it with SIGTERM (expecting exit status 0).

Health and reflection are called with hand-encoded protobuf (Debian ships no
Python stubs for them): the encodings are given field by field below.

Ends with "N passed, N failed"; the exit status is 0 only if nothing failed.
"""

import argparse
import base64
import json
import os
import select
import signal
import subprocess
import sys
import time
import traceback

parser = argparse.ArgumentParser()
parser.add_argument("--mikeyd", required=True)
parser.add_argument("--mikeyctl", required=True)
parser.add_argument("--pythonpath", required=True)
parser.add_argument("--casetest", required=True)
FLAGS = parser.parse_args()
sys.path.insert(0, FLAGS.pythonpath)
sys.path.insert(0, os.path.dirname(FLAGS.casetest))

import grpc  # noqa: E402
from google.protobuf import descriptor_pb2  # noqa: E402
from mikey.broker.v1 import broker_pb2  # noqa: E402
from mikey.broker.v1 import broker_pb2_grpc  # noqa: E402
import casetest  # noqa: E402

# A PSK I_MESSAGE written by hand from RFC 3830 section 6 (the same message
# as service/decode_test.cc; offsets in brackets):
PSK_MESSAGE = bytes.fromhex(
    # HDR [0, 19): v1, PSK init, next T, V=0 PRF 0, CSB 0x12345678, #CS 1,
    # SRTP-ID map: policy 0, SSRC 0xDEADBEEF, ROC 7.
    "01000500" "12345678" "0100" "00deadbeef00000007"
    # T [19, 29): next RAND, NTP-UTC 2024-01-01T00:00:00.5Z.
    "0b00" "e93c7f0080000000"
    # RAND [29, 47): next SP, 16 octets.
    "0a10" "000102030405060708090a0b0c0d0e0f"
    # SP [47, 78): next KEMAC, policy 0, SRTP, 26 octets of parameters.
    "010000001a" "000101" "010110" "020101" "070101" "0b010a"
    "c809505152535455565758"
    # KEMAC [78, 124): last, NULL, 41 octets of key data (TEK+SALT, KV SPI:
    # key a0..af, salt b0..bd, SPI 00000001), MAC alg NULL.
    "00000029" "00310010a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
    "000eb0b1b2b3b4b5b6b7b8b9babbbcbd0400000001" "00")
KEY = bytes.fromhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf")
SALT = bytes.fromhex("b0b1b2b3b4b5b6b7b8b9babbbcbd")

CASES = casetest.Cases("decode_e2e")
check = CASES.check


def expect_eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


# --- minimal protobuf wire reading, for health and reflection responses ---

def read_varint(data, pos):
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def fields(data):
    """(field number, wire type, value) of each field of one message."""
    pos = 0
    out = []
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, pos = read_varint(data, pos)
        elif wire_type == 2:
            n, pos = read_varint(data, pos)
            value = data[pos:pos + n]
            pos += n
        else:
            raise AssertionError("unexpected wire type %d" % wire_type)
        out.append((number, wire_type, value))
    return out


def field_values(data, number):
    return [v for n, _, v in fields(data) if n == number]


def encode_string_field(number, s):
    b = s.encode()
    assert len(b) < 128
    return bytes([number << 3 | 2, len(b)]) + b


# --- the server ---

def start_mikeyd():
    proc = subprocess.Popen(
        [FLAGS.mikeyd, "--listen=127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 20
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.time()
        if remaining <= 0 or proc.poll() is not None:
            proc.kill()
            raise AssertionError("mikeyd did not start: %r %r" %
                                 (line, proc.stderr.read()))
        ready, _, _ = select.select([proc.stdout], [], [], remaining)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 1)
            if not chunk:
                continue
            line += chunk
    text = line.decode().strip()
    prefix = "mikeyd listening on 127.0.0.1:"
    if not text.startswith(prefix):
        proc.kill()
        raise AssertionError("unexpected first line %r" % text)
    return proc, int(text[len(prefix):])


def run(args, stdin=b""):
    p = subprocess.run(args, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def main():
    # Refusals before anything listens.
    def refuses_non_loopback():
        code, _, err = run([FLAGS.mikeyd, "--listen=0.0.0.0:0"])
        expect_eq(code, 2, "exit status")
        assert "non-loopback" in err, err

    def refuses_unknown_flag():
        code, _, err = run([FLAGS.mikeyd, "--no-such-flag"])
        assert code != 0, code
        assert "no-such-flag" in err, err

    def refuses_empty_config():
        code, _, err = run([FLAGS.mikeyd, "--config=/dev/null"])
        expect_eq(code, 2, "exit status")
        assert "/dev/null: not valid JSON" in err, err

    check("mikeyd refuses a non-loopback plaintext address", refuses_non_loopback)
    check("mikeyd rejects unknown flags", refuses_unknown_flag)
    check("mikeyd rejects an empty --config file", refuses_empty_config)

    proc, port = start_mikeyd()
    target = "127.0.0.1:%d" % port
    channel = grpc.insecure_channel(target)
    try:
        grpc.channel_ready_future(channel).result(timeout=20)
        stub = broker_pb2_grpc.KeyBrokerStub(channel)

        def decode_bytes():
            r = stub.Decode(broker_pb2.DecodeRequest(
                input=broker_pb2.MikeyInput(message=PSK_MESSAGE)), timeout=10)
            expect_eq(r.input_form, broker_pb2.INPUT_FORM_BYTES, "input_form")
            expect_eq(r.input_size, 124, "input_size")
            h = r.message.header
            expect_eq(h.data_type, broker_pb2.DATA_TYPE_PSK_INIT, "data_type")
            expect_eq(h.data_type_value, 0, "data_type_value")
            expect_eq(h.csb_id, 0x12345678, "csb_id")
            expect_eq(len(h.srtp_map), 1, "srtp_map")
            expect_eq((h.srtp_map[0].cs_id, h.srtp_map[0].ssrc,
                       h.srtp_map[0].roc), (1, 0xDEADBEEF, 7), "srtp entry")
            kinds = [p.WhichOneof("body") for p in r.message.payloads]
            expect_eq(kinds, ["timestamp", "rand", "security_policy", "kemac"],
                      "payloads")
            expect_eq([p.offset for p in r.message.payloads], [19, 29, 47, 78],
                      "offsets")
            t = r.message.payloads[0].timestamp
            expect_eq(t.time, "2024-01-01T00:00:00.5Z", "time")
            sp = r.message.payloads[2].security_policy
            expect_eq([(p.name, p.value_name) for p in sp.params[:3]],
                      [("encryption_algorithm", "AES-CM"),
                       ("session_encryption_key_length", ""),
                       ("authentication_algorithm", "HMAC-SHA-1")], "SP")
            kemac = r.message.payloads[3].kemac
            expect_eq(kemac.encryption_algorithm_name, "NULL", "encr alg")
            expect_eq(len(kemac.key_data), 1, "key data")
            kd = kemac.key_data[0]
            expect_eq((kd.type_name, kd.key_length, kd.salt_length,
                       kd.key_validity.spi),
                      ("TEK+SALT", 16, 14, b"\x00\x00\x00\x01"), "key data")
            wire = r.SerializeToString()
            assert KEY not in wire and KEY[:4] not in wire, "key returned"
            assert SALT not in wire and SALT[:4] not in wire, "salt returned"

        def decode_sdp_text():
            sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                   "a=key-mgmt:mikey %s\r\nm=audio 5004 RTP/SAVP 0\r\n" %
                   base64.b64encode(PSK_MESSAGE).decode())
            r = stub.Decode(broker_pb2.DecodeRequest(
                input=broker_pb2.MikeyInput(text=sdp)), timeout=10)
            expect_eq(r.input_form, broker_pb2.INPUT_FORM_SDP, "input_form")
            expect_eq(r.input_size, len(sdp), "input_size")
            expect_eq(r.WhichOneof("location"), "sdp_location", "location")
            expect_eq(r.sdp_location.line, 5, "sdp_line")
            expect_eq(r.sdp_location.media_index, -1, "sdp_media_index")
            expect_eq(r.message.size, 124, "size")

        def decode_garbage():
            try:
                stub.Decode(broker_pb2.DecodeRequest(
                    input=broker_pb2.MikeyInput(message=b"\x02\x00\x00")),
                    timeout=10)
            except grpc.RpcError as e:
                expect_eq(e.code(), grpc.StatusCode.INVALID_ARGUMENT, "code")
                assert "version" in e.details(), e.details()
            else:
                raise AssertionError("garbage decoded")

        def decode_nothing():
            try:
                stub.Decode(broker_pb2.DecodeRequest(), timeout=10)
            except grpc.RpcError as e:
                expect_eq(e.code(), grpc.StatusCode.INVALID_ARGUMENT, "code")
            else:
                raise AssertionError("empty request decoded")

        health_check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=lambda b: b, response_deserializer=lambda b: b)

        def health_serving():
            # HealthCheckRequest{service=""} is empty; HealthCheckResponse
            # {status=SERVING(1)} is field 1 varint 1: 08 01.
            expect_eq(health_check(b"", timeout=10), b"\x08\x01", "overall")
            req = encode_string_field(1, "mikey.broker.v1.KeyBroker")
            expect_eq(health_check(req, timeout=10), b"\x08\x01", "KeyBroker")
            try:
                health_check(encode_string_field(1, "no.such.Service"),
                             timeout=10)
            except grpc.RpcError as e:
                expect_eq(e.code(), grpc.StatusCode.NOT_FOUND, "unknown")
            else:
                raise AssertionError("unknown service has a health status")

        reflect = channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=lambda b: b, response_deserializer=lambda b: b)

        def reflection():
            # ServerReflectionRequest: list_services = 7 (string),
            # file_containing_symbol = 4 (string).
            # ServerReflectionResponse: file_descriptor_response = 4
            # {file_descriptor_proto = 1 (bytes, repeated)},
            # list_services_response = 6 {service = 1 {name = 1}}.
            responses = list(reflect(iter([
                encode_string_field(7, ""),
                encode_string_field(4, "mikey.broker.v1.KeyBroker"),
            ]), timeout=10))
            expect_eq(len(responses), 2, "responses")
            listed = field_values(responses[0], 6)
            names = {field_values(s, 1)[0].decode()
                     for s in field_values(listed[0], 1)}
            assert "mikey.broker.v1.KeyBroker" in names, names
            assert "grpc.health.v1.Health" in names, names
            fd_response = field_values(responses[1], 4)[0]
            files = [descriptor_pb2.FileDescriptorProto.FromString(b)
                     for b in field_values(fd_response, 1)]
            broker = [f for f in files
                      if f.name == "mikey/broker/v1/broker.proto"]
            expect_eq(len(broker), 1, "broker.proto served")
            expect_eq(broker[0].package, "mikey.broker.v1", "package")
            service = [s for s in broker[0].service if s.name == "KeyBroker"]
            expect_eq([m.name for m in service[0].method],
                      ["Decode", "Initiate", "Respond", "Complete",
                       "DeriveSessionKeys"], "methods")

        def mikeyctl_offline_and_server_agree():
            text = base64.b64encode(PSK_MESSAGE).decode()
            code, offline, err = run([FLAGS.mikeyctl, "decode", text])
            expect_eq(code, 0, "offline exit: " + err)
            code, online, err = run(
                [FLAGS.mikeyctl, "decode", "--server=" + target, "-"],
                stdin=text.encode())
            expect_eq(code, 0, "--server exit: " + err)
            expect_eq(json.loads(online), json.loads(offline), "JSON")
            parsed = json.loads(offline)
            expect_eq(parsed["message"]["header"]["data_type"],
                      "DATA_TYPE_PSK_INIT", "data_type")
            expect_eq(parsed["message"]["header"]["data_type_value"], 0,
                      "zero values printed")
            for secret in (KEY, SALT):
                assert base64.b64encode(secret).decode() not in offline
                assert secret.hex() not in offline
            code, _, _ = run([FLAGS.mikeyctl, "decode", "--binary", "-"],
                             stdin=PSK_MESSAGE)
            expect_eq(code, 0, "--binary exit")

        def mikeyctl_errors():
            code, out, err = run([FLAGS.mikeyctl, "decode", "AgAA"])
            expect_eq(code, 1, "offline bad input")
            assert "version" in err and out == "", (out, err)
            code, out, err = run([FLAGS.mikeyctl, "decode",
                                  "--server=" + target, "AgAA"])
            expect_eq(code, 1, "server bad input")
            assert "version" in err and out == "", (out, err)
            code, _, err = run([FLAGS.mikeyctl, "decode",
                                "--server=192.0.2.1:1", "AgAA"])
            expect_eq(code, 2, "non-loopback server")
            assert "non-loopback" in err, err

        check("Decode bytes", decode_bytes)
        check("Decode SDP text", decode_sdp_text)
        check("Decode garbage -> INVALID_ARGUMENT", decode_garbage)
        check("Decode empty request -> INVALID_ARGUMENT", decode_nothing)
        check("health SERVING", health_serving)
        check("reflection lists and describes KeyBroker", reflection)
        check("mikeyctl offline and --server agree",
              mikeyctl_offline_and_server_agree)
        check("mikeyctl errors", mikeyctl_errors)

        def no_core_dumps():
            # A core file would hold every key in memory: mikeyd sets
            # RLIMIT_CORE to 0 unless --core_dumps.
            with open("/proc/%d/limits" % proc.pid) as f:
                line = [l for l in f if l.startswith("Max core file size")]
            assert line, "no core limit in /proc/PID/limits"
            expect_eq(line[0].split()[4:6], ["0", "0"], line[0])

        check("core dumps off by default", no_core_dumps)
    finally:
        channel.close()

        def sigterm_exits_zero():
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise AssertionError("mikeyd did not stop on SIGTERM")
            err = proc.stderr.read().decode()
            expect_eq(code, 0, "exit status; stderr: " + err)
            assert "PLAINTEXT" in err, err
            assert "SIGTERM" in err, err

        check("SIGTERM -> exit 0", sigterm_exits_zero)

    return CASES.finish()


if __name__ == "__main__":
    sys.exit(main())
