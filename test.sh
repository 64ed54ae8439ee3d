#!/usr/bin/env bash
# The one test command (README quick start and CI): installs the emulators the tests start, runs every test, then
# the benchmark's smoke run (the bridge on the local host, Azurite behind a counting proxy, the Local/Aws EC2/STS
# emulator: every event stored, one EC2 write each, nothing poisoned, no false 503, the revert path ≤ 5 storage ops per
# event reverted inline and the whole pipeline ≤ 10, the bench's count equal to the proxy's; it checks no speed), then `sgbridge demo --script` (the whole loop on the local host: exit 0 only
# when every step happened).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
# cfn-lint, pinned in requirements-dev.txt, for Tests/Infrastructure/CfnLintTests.cs. Installed only when that version
# is not there already (so an image that has it needs no package index); without python3, or when the install is
# refused (no index, an externally managed Python), those tests skip with a message, or fail if another version is there.
if command -v python3 >/dev/null 2>&1; then
  if [ "$(python3 -c 'import importlib.metadata as m; print(m.version("cfn-lint"))' 2>/dev/null)" != "$(sed -n 's/^cfn-lint==//p' requirements-dev.txt)" ]; then
    python3 -m pip install -q -r requirements-dev.txt || echo "could not install requirements-dev.txt: see the cfn-lint tests' message" >&2
  fi
else
  echo "python3 not found: the cfn-lint tests will be skipped" >&2
fi
# Debian's chromium + chromedriver, for the approvers' page browser test (Tests/Local/ApproversPageBrowserTests.cs).
# Installed when missing and apt-get is there (CI runs as root); otherwise that test skips with a message.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
      || echo "could not install chromium: the browser test will be skipped" >&2
  else
    echo "chromium/chromedriver not found and cannot be installed here: the browser test will be skipped" >&2
  fi
fi
# The operator CLI as a .NET tool package (README: dotnet tool install --global --add-source artifacts sgbridge);
# Tests/Cli/ToolPackageTests.cs installs this very package into a temporary tool path.
rm -f artifacts/sgbridge.*.nupkg
dotnet pack Cli -o artifacts --nologo
# A test that hangs is stopped after 10 minutes and named in the output (the run then fails), instead of holding CI.
SGBRIDGE_TOOL_PACKAGES="$PWD/artifacts" dotnet test SgBridge.sln --blame-hang-timeout 10m --blame-hang-dump-type none "$@"
# The smoke checks counts, not speed: with the inline budget at the longest the default enqueue timeout allows (2 s, as 2 s + 2 s ≤ 4 s; 1.5 s by default), an
# inline revert that a loaded CI machine slows does not turn into a fallback copy, so the counts do not depend on load.
# The fallback rate under load is the bench's burst runs' figure (docs/performance.md).
dotnet run --project bench -- --smoke --ec2 stub --set Intake:InlineBudget=00:00:02
dotnet run --project Cli -- demo --script
