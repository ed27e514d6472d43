#!/usr/bin/env bash
# Publish a self-contained, trimmed, single-file `engine` for linux-x64 into publish/ (git-ignored),
# for machines without .NET (the GPU machine). Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet publish src/Hosts/Engine.Cli -c Release -r linux-x64 --self-contained \
  -p:PublishSingleFile=true -p:PublishTrimmed=true -p:IncludeNativeLibrariesForSelfExtract=true \
  -o publish/linux-x64 "$@"
ls -la publish/linux-x64/engine
