#!/usr/bin/env bash
# Pack Engine.Runtime, Engine.Models and Engine.Methods into artifacts/packages, then build and run this sample
# against the packed packages. Each run packs a fresh prerelease of the one version in Directory.Build.props
# (VersionPrefix-local.TIMESTAMP), so a stale copy in the NuGet cache is never used; packing reuses the Release build.
# Run from anywhere; extra arguments go to the sample (a model folder).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
suffix="local.$(date +%Y%m%d%H%M%S)"
dotnet build "$root/src/Methods" -c Release --nologo -v quiet
for p in Runtime Models Methods; do
  dotnet pack "$root/src/$p" -c Release --no-build -p:VersionSuffix="$suffix" --nologo -v quiet
done
ls "$root"/artifacts/packages/Engine.*"$suffix"*.nupkg
cd "$root/examples/InProcess"
dotnet run -c Release -- "$@"
