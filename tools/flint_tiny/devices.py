"""The trainers' --device option: auto | cpu | cuda (or cuda:N).

auto is cuda when torch sees a CUDA device, else cpu. Asking for a device torch cannot use stops
with one line saying so (NotAvailable carries that line).
"""

import torch

CHOICES = "auto | cpu | cuda | cuda:N"


class NotAvailable(RuntimeError):
    pass


def add_argument(parser):
    parser.add_argument("--device", default="auto",
                        help=f"where to train: {CHOICES} (default auto: cuda when "
                             "torch.cuda.is_available(), else cpu)")


def resolve(name):
    """torch.device for `name`; raises NotAvailable (one clear line) when it cannot be used."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise NotAvailable(f"unknown device {name!r}: use {CHOICES}") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise NotAvailable(f"device {name} is not available: this torch {torch.__version__} "
                               "sees no CUDA device (torch.cuda.is_available() is False)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise NotAvailable(f"device {name} is not available: torch sees "
                               f"{torch.cuda.device_count()} CUDA device(s)")
    elif device.type != "cpu":
        try:
            torch.zeros(1, device=device)
        except Exception as error:  # noqa: BLE001 - any backend failure means "not usable"
            reason = str(error).splitlines()[0].split(". ")[0] if str(error) else repr(error)
            raise NotAvailable(f"device {name} is not available: {reason}") from None
    return device


def from_args(args):
    """The device of parsed --device, or exit with the one-line reason."""
    try:
        device = resolve(args.device)
    except NotAvailable as error:
        raise SystemExit(str(error)) from None
    print(f"device: {device}", flush=True)
    return device
