"""Protocol buffer and gRPC code generation with Debian's protoc.

Bazel 4.2.3's own proto rules want to build protoc from source (and download
it), which this offline build cannot do. This file runs the installed
compilers instead:

    /usr/bin/protoc             (protobuf-compiler)
    /usr/bin/grpc_cpp_plugin    (protobuf-compiler-grpc)
    /usr/bin/grpc_python_plugin (protobuf-compiler-grpc)

Well-known types (google/protobuf/*.proto) are imported from /usr/include,
where libprotobuf-dev puts them next to the headers of the library that
implements them, so generated code and library always match.

Usage (BUILD.bazel):

    load("//third_party:proto.bzl", "cc_grpc_proto_library")

    cc_grpc_proto_library(
        name = "broker_cc_proto",
        srcs = ["broker.proto"],
        strip_import_prefix = "/proto",   # import as "mikey/broker/v1/broker.proto"
        deps = [],                        # other cc_grpc_proto_library targets
        grpc = True,                      # also run grpc_cpp_plugin
        py = True,                        # also make :broker_cc_proto_py
    )

This defines:
  <name>             cc_library with the generated C++ (depends on @protobuf,
                     and on @grpc when grpc = True). Include the headers by
                     their import path: "mikey/broker/v1/broker.pb.h".
  <name>_codegen     the code generation rule (output groups "cc_hdrs",
                     "cc_srcs", "py", "descriptor_set").
  <name>_descriptor_set
                     a FileDescriptorSet (with imports) of the sources, for
                     tools such as `buf curl --schema`.
  <name>_py          (py = True) filegroup with the generated *_pb2.py (and
                     *_pb2_grpc.py when grpc = True) laid out by import
                     path under <package>/<name>_codegen/: put that
                     directory (in bazel-bin or a test's runfiles) on
                     PYTHONPATH. The C++ files live in the same tree.
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

_PROTOC = "/usr/bin/protoc"
_GRPC_CPP_PLUGIN = "/usr/bin/grpc_cpp_plugin"
_GRPC_PYTHON_PLUGIN = "/usr/bin/grpc_python_plugin"
_SYSTEM_PROTO_ROOT = "/usr/include"

ProtoSourcesInfo = provider(
    doc = "The .proto files of a cc_grpc_proto_library and all it depends on.",
    fields = {
        "sources": "depset of File: every .proto, transitively",
        "mappings": "depset of string: protoc -I mappings 'import/path=file/path'",
    },
)

def _import_path(ctx, src):
    """The path other protos (and protoc) use to import `src`."""
    path = src.short_path
    prefix = ctx.attr.strip_import_prefix
    if prefix.startswith("/"):
        prefix = prefix[1:]
    elif prefix:
        prefix = ctx.label.package + "/" + prefix if ctx.label.package else prefix
    else:
        return path
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    if not path.startswith(prefix):
        fail("%s is not under strip_import_prefix %s" % (path, prefix))
    return path[len(prefix):]

def _proto_codegen_impl(ctx):
    dep_infos = [d[ProtoSourcesInfo] for d in ctx.attr.deps]
    own = []  # (import path, File)
    for src in ctx.files.srcs:
        if not src.basename.endswith(".proto"):
            fail("%s is not a .proto file" % src.short_path)
        own.append((_import_path(ctx, src), src))

    mappings = depset(
        ["%s=%s" % (imp, f.path) for imp, f in own],
        transitive = [d.mappings for d in dep_infos],
    )
    sources = depset(
        [f for _, f in own],
        transitive = [d.sources for d in dep_infos],
    )

    # Everything is generated under <package>/<name>/, laid out by import
    # path, so that directory is the include (and Python import) root.
    root = ctx.label.name
    out_dir = ctx.bin_dir.path + "/" + ctx.label.package + "/" + root
    if not ctx.label.package:
        out_dir = ctx.bin_dir.path + "/" + root

    cc_hdrs = []
    cc_srcs = []
    py_files = []
    for imp, _ in own:
        stem = imp[:-len(".proto")]
        cc_hdrs.append(ctx.actions.declare_file(root + "/" + stem + ".pb.h"))
        cc_srcs.append(ctx.actions.declare_file(root + "/" + stem + ".pb.cc"))
        if ctx.attr.grpc:
            cc_hdrs.append(ctx.actions.declare_file(root + "/" + stem + ".grpc.pb.h"))
            cc_srcs.append(ctx.actions.declare_file(root + "/" + stem + ".grpc.pb.cc"))
        if ctx.attr.py:
            py_files.append(ctx.actions.declare_file(root + "/" + stem + "_pb2.py"))
            if ctx.attr.grpc:
                py_files.append(ctx.actions.declare_file(root + "/" + stem + "_pb2_grpc.py"))
    descriptor_set = ctx.actions.declare_file(root + ".descriptor_set.pb")

    args = ctx.actions.args()
    args.add_all(mappings, format_each = "--proto_path=%s")
    args.add("--proto_path=" + _SYSTEM_PROTO_ROOT)
    args.add("--cpp_out=" + out_dir)
    if ctx.attr.grpc:
        args.add("--plugin=protoc-gen-grpc=" + _GRPC_CPP_PLUGIN)
        args.add("--grpc_out=" + out_dir)
    if ctx.attr.py:
        args.add("--python_out=" + out_dir)
        if ctx.attr.grpc:
            args.add("--plugin=protoc-gen-grpc_python=" + _GRPC_PYTHON_PLUGIN)
            args.add("--grpc_python_out=" + out_dir)
    args.add("--descriptor_set_out=" + descriptor_set.path)
    args.add("--include_imports")
    args.add("--include_source_info")
    args.add_all([imp for imp, _ in own])

    ctx.actions.run(
        executable = _PROTOC,
        arguments = [args],
        inputs = sources,
        outputs = cc_hdrs + cc_srcs + py_files + [descriptor_set],
        mnemonic = "ProtocGen",
        progress_message = "Generating code from protos of %s" % ctx.label,
    )

    return [
        DefaultInfo(files = depset(cc_hdrs + cc_srcs + py_files + [descriptor_set])),
        OutputGroupInfo(
            cc_hdrs = depset(cc_hdrs),
            cc_srcs = depset(cc_srcs),
            py = depset(py_files),
            descriptor_set = depset([descriptor_set]),
        ),
        ProtoSourcesInfo(sources = sources, mappings = mappings),
    ]

proto_codegen = rule(
    implementation = _proto_codegen_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = [".proto"], mandatory = True),
        "deps": attr.label_list(providers = [ProtoSourcesInfo]),
        "strip_import_prefix": attr.string(
            doc = "Like proto_library's: '/dir' is relative to the workspace " +
                  "root, 'dir' to the package; empty keeps workspace paths.",
        ),
        "grpc": attr.bool(default = True),
        "py": attr.bool(default = False),
    },
    doc = "Runs Debian's protoc (and gRPC plugins) over srcs.",
)

def _codegen_label(dep):
    """The proto_codegen target behind a cc_grpc_proto_library label."""
    if ":" in dep:
        return dep + "_codegen"

    # "//a/b" means "//a/b:b".
    return dep + ":" + dep.split("/")[-1] + "_codegen"

def cc_grpc_proto_library(
        name,
        srcs,
        deps = [],
        grpc = True,
        py = False,
        strip_import_prefix = "",
        visibility = None,
        testonly = None):
    """C++ (and optionally Python) code for protos, gRPC services included.

    Args:
      name: the cc_library's name.
      srcs: .proto files.
      deps: other cc_grpc_proto_library targets whose protos srcs import.
      grpc: also generate gRPC service code (grpc_cpp_plugin, and
        grpc_python_plugin when py is set).
      py: also generate Python modules, as the filegroup <name>_py.
      strip_import_prefix: see proto_codegen.
      visibility: of every target made here.
      testonly: of every target made here.
    """
    codegen = name + "_codegen"
    proto_codegen(
        name = codegen,
        srcs = srcs,
        deps = [_codegen_label(d) for d in deps],
        strip_import_prefix = strip_import_prefix,
        grpc = grpc,
        py = py,
        visibility = visibility,
        testonly = testonly,
    )
    native.filegroup(
        name = name + "_hdrs",
        srcs = [":" + codegen],
        output_group = "cc_hdrs",
        visibility = ["//visibility:private"],
        testonly = testonly,
    )
    native.filegroup(
        name = name + "_srcs",
        srcs = [":" + codegen],
        output_group = "cc_srcs",
        visibility = ["//visibility:private"],
        testonly = testonly,
    )
    native.filegroup(
        name = name + "_descriptor_set",
        srcs = [":" + codegen],
        output_group = "descriptor_set",
        visibility = visibility,
        testonly = testonly,
    )
    if py:
        native.filegroup(
            name = name + "_py",
            srcs = [":" + codegen],
            output_group = "py",
            visibility = visibility,
            testonly = testonly,
        )
    cc_library(
        name = name,
        srcs = [":" + name + "_srcs"],
        hdrs = [":" + name + "_hdrs"],
        # Generated files live under <package>/<codegen>/ by import path.
        includes = [codegen],
        # Generated code is not ours to lint.
        copts = ["-Wno-unused-parameter"],
        deps = deps + ["@protobuf"] + (["@grpc"] if grpc else []),
        visibility = visibility,
        testonly = testonly,
    )
