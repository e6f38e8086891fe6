"""A repository rule that exposes a Debian system library to Bazel.

It asks pkg-config for compile and link flags, so the link line follows the
installed packages instead of a hand-kept list of -l options.
"""

def _run(rctx, args):
    result = rctx.execute(["pkg-config"] + args)
    if result.return_code != 0:
        fail("pkg-config %s failed: %s\nInstall the Debian -dev package (tools/setup)." %
             (" ".join(args), result.stderr))
    return result.stdout.strip()

def _pkg_config_library_impl(rctx):
    modules = rctx.attr.modules
    cflags = _run(rctx, ["--cflags"] + modules).split(" ")
    libs = _run(rctx, ["--libs"] + modules).split(" ")
    includes = []
    defines = []
    for flag in cflags:
        if flag.startswith("-I"):
            # The compiler searches these already; Bazel treats them as builtin.
            if flag[2:] not in ["/usr/include", "/usr/include/x86_64-linux-gnu"]:
                includes.append(flag[2:])
        elif flag.startswith("-D"):
            defines.append(flag[2:])

    # System include paths become -isystem flags for users through a symlinked
    # directory inside the external repository (Bazel will not take absolute
    # paths in `includes`).
    include_dirs = []
    for i, path in enumerate(includes):
        link = "include_%d" % i
        rctx.symlink(path, link)
        include_dirs.append(link)

    linkopts = [flag for flag in libs if flag] + rctx.attr.extra_linkopts
    rctx.file("BUILD.bazel", """
cc_library(
    name = "{name}",
    hdrs = glob([{globs}], allow_empty = True),
    includes = {includes},
    defines = {defines},
    linkopts = {linkopts},
    visibility = ["//visibility:public"],
)
""".format(
        name = rctx.attr.name,
        globs = ", ".join(['"%s/**"' % d for d in include_dirs]),
        includes = repr(include_dirs),
        defines = repr(defines),
        linkopts = repr(linkopts),
    ))

pkg_config_library = repository_rule(
    implementation = _pkg_config_library_impl,
    attrs = {
        "modules": attr.string_list(mandatory = True),
        "extra_linkopts": attr.string_list(default = []),
    },
    local = True,
    doc = "A cc_library named after the repository, with flags from pkg-config.",
)
