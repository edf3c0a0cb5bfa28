#!/usr/bin/env python3
"""Puts a config file into the Lambda zip as `sweeparr.toml`, beside `bootstrap`
(replacing one already there). Usage: zip_config.py ZIP CONFIG"""
import shutil
import sys
import tempfile
import zipfile

NAME = "sweeparr.toml"


def main(zip_path: str, config: str) -> None:
    with tempfile.NamedTemporaryFile(suffix=".zip", delete=False) as tmp:
        out_path = tmp.name
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(out_path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename != NAME:
                out.writestr(info, src.read(info.filename))
        out.write(config, NAME)
    shutil.move(out_path, zip_path)
    print(f"{zip_path}: added {config} as {NAME}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
