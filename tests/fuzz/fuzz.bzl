"""libFuzzer targets and the regression tests that replay their corpora.

    load("//tests/fuzz:fuzz.bzl", "cc_fuzz_target")

    cc_fuzz_target(
        name = "message_fuzzer",
        srcs = ["message_fuzzer.cc"],
        deps = ["//core/message"],
    )

defines

  message_fuzzer              the libFuzzer binary: a cc_binary linked with
                              -fsanitize=fuzzer. It only builds with clang, so
                              it is tagged "manual" (and "fuzz"): `bazel build
                              //...` with gcc skips it. Build it with
                              `bazel build --config=fuzz //tests/fuzz:NAME`
                              (tests/fuzz/run builds and runs them all).
  message_fuzzer_corpus_test  the same code with a plain main()
                              (corpus_main.cc) that feeds every file of
                              corpus/message_fuzzer/ to the target once: part
                              of the ordinary suite (gcc, --config=asan), so
                              every seed and every crash reproducer kept in
                              the corpus is checked on each test run.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_test")

def cc_fuzz_target(name, srcs, deps = [], size = "small", **kwargs):
    """A libFuzzer target and a test replaying its corpus.

    Args:
      name: target name; its corpus is corpus/<name>/.
      srcs: sources defining LLVMFuzzerTestOneInput (and optionally
        LLVMFuzzerInitialize).
      deps: libraries under test.
      size: size of the corpus test.
      **kwargs: passed to both rules (e.g. copts).
    """
    cc_binary(
        name = name,
        testonly = True,
        srcs = srcs,
        linkopts = ["-fsanitize=fuzzer"],
        tags = [
            "fuzz",
            "manual",
        ],
        deps = deps,
        **kwargs
    )
    cc_test(
        name = name + "_corpus_test",
        size = size,
        srcs = srcs + ["//tests/fuzz:corpus_main.cc"],
        args = ["tests/fuzz/corpus/" + name],
        # Empty only while make_corpus has not run; the test then fails.
        data = native.glob(
            ["corpus/" + name + "/*"],
            allow_empty = True,
        ),
        deps = deps,
        **kwargs
    )
