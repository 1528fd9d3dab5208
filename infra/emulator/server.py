"""Serve moto with the project's runtime patches applied.

    python -m infra.emulator.server --host 127.0.0.1 --port 5000 [--disable-patch NAME ...]

Patches can also be switched off with ``INFRA_EMULATOR_DISABLE_PATCHES=a,b``.

Strict mode, on by default: the ``strict_*`` patches make the emulator refuse what AWS refuses
(a listener on an unvalidated certificate, an engine downgrade, ...) with AWS's error.
``INFRA_EMULATOR_STRICT=0`` leaves all of them out, to see what plain moto would have accepted.
The server answers every AWS service on one endpoint (moto's host/signature
dispatch) plus moto's own ``/moto-api/`` (e.g. ``POST /moto-api/reset``), and
runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Mapping
from types import FrameType

DISABLE_ENV = "INFRA_EMULATOR_DISABLE_PATCHES"
STRICT_ENV = "INFRA_EMULATOR_STRICT"
STRICT_PREFIX = "strict_"

# moto reads its settings when it is imported, so these go in first.
# AWS-managed IAM policies (e.g. service-role/AmazonECSTaskExecutionRolePolicy)
# only exist when moto loads them; attaching one fails with NoSuchEntity otherwise.
MOTO_SETTINGS = {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}


def disabled_from_env(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Patch names listed (comma-separated) in ``INFRA_EMULATOR_DISABLE_PATCHES``, and every strict
    patch when ``INFRA_EMULATOR_STRICT`` is 0 or false (1, true or unset keep strict mode on; any
    other value is refused, so that a typo never switches it off silently)."""
    from infra.emulator.patches import PATCH_NAMES

    names = [name.strip() for name in environ.get(DISABLE_ENV, "").split(",") if name.strip()]
    strict = environ.get(STRICT_ENV, "1").strip().lower()
    if strict not in ("0", "1", "true", "false", ""):
        raise ValueError(f"{STRICT_ENV} must be 1 (strict, the default) or 0, not {strict!r}")
    if strict in ("0", "false"):
        names += [name for name in PATCH_NAMES if name.startswith(STRICT_PREFIX)]
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m infra.emulator.server", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="TCP port to listen on (required to serve)")
    parser.add_argument(
        "--disable-patch",
        action="append",
        default=[],
        metavar="NAME",
        help="leave this patch out (repeatable); see --list-patches",
    )
    parser.add_argument("--fd", type=int, help="serve on this inherited, listening socket (infra's manager binds "
                        "the port first, so no other process can take it before the server is ready)")
    parser.add_argument("--no-warm", action="store_true",
                        help="build each service on its first request, not before listening (a client that "
                             "makes a few calls with patient retries; an apply wants the warm-up)")
    parser.add_argument("--list-patches", action="store_true", help="print the patch names and exit")
    args = parser.parse_args(argv)
    if args.port is None and not args.list_patches:
        parser.error("--port is required")
    return args


def _stop(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


# The region and account the env roots use against the emulator (moto's default account).
WARM_REGION = "us-east-1"
WARM_ACCOUNT = "123456789012"


def moto_service(service: str) -> str:
    """moto's name for a service the roots point at the emulator (the provider's endpoint key)."""
    return "applicationautoscaling" if service == "appautoscaling" else service


def warm(app) -> list[str]:
    """Build, before the first request, what moto otherwise builds lazily inside it.

    On its first call to a service, moto imports the service, creates its backend (IAM loads some
    1,600 managed policies; EC2 builds default VPCs) and parses its botocore model, holding one
    lock that every other first call waits on. A Terraform apply opens with such a burst, and on a
    loaded 2-core machine the server stalled for about 10 s; the provider's SDK retried a CreateRole
    whose first attempt had already created the role, and the apply failed with EntityAlreadyExists
    (a live-lane flake). Warming every service the roots point at the emulator moves that work to
    start-up, before the server answers its readiness check. (An answer lost on the wire is the
    other way a retried call ran twice: infra/emulator/invocations.py answers such a retry.)
    """
    import botocore.session
    from moto.backends import get_backend
    from moto.core.utils import get_service_model

    from infra.workspace import ENDPOINT_SERVICES

    # botocore names some services with dashes ("application-autoscaling"); moto and the
    # provider's endpoint keys do not. Matching without dashes avoids a hand-kept table.
    models = {name.replace("-", ""): name for name in botocore.session.Session().get_available_services()}
    warmed = []
    for service in ENDPOINT_SERVICES:
        moto_name = moto_service(service)
        app.app_instances.setdefault(moto_name, app.create_app(moto_name))
        backends = get_backend(moto_name)[WARM_ACCOUNT]
        _ = backends[WARM_REGION if WARM_REGION in backends.regions else "aws"]
        get_service_model(models[moto_name])
        warmed.append(service)
    return warmed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from infra.emulator.patches import PATCH_NAMES, apply_patches

    if args.list_patches:
        print("\n".join(PATCH_NAMES))
        return 0

    for key, value in MOTO_SETTINGS.items():
        os.environ[key] = value
    # Some moto backends call back into "the server" on this port (e.g. SQS/SNS).
    os.environ.setdefault("MOTO_PORT", str(args.port))

    try:
        disabled = [*args.disable_patch, *disabled_from_env()]
        applied = apply_patches(disabled)
    except ValueError as exc:
        print(f"infra.emulator.server: {exc}", file=sys.stderr)
        return 2

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    from infra.emulator.handler import EmulatorRequestHandler, with_content_length
    from infra.emulator.invocations import ReplayRetriedInvocations

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    print(f"patches applied: {', '.join(applied) or '(none)'}", flush=True)
    print(f"patches disabled: {', '.join(sorted(set(disabled))) or '(none)'}", flush=True)
    dispatcher = DomainDispatcherApplication(create_backend_app)
    print(f"services warmed: {'(none: --no-warm)' if args.no_warm else ', '.join(warm(dispatcher))}", flush=True)
    app = with_content_length(ReplayRetriedInvocations(dispatcher))

    try:
        server = make_server(args.host, args.port, app, threaded=True, request_handler=EmulatorRequestHandler,
                             fd=args.fd)
    except OSError as exc:
        where = f"{args.host}:{args.port}"
        print(f"infra.emulator.server: cannot listen on {where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"serving on http://{args.host}:{server.server_address[1]}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
