# Build the one-folder desktop bundle on Windows: dist\inpaint-studio\inpaint-studio.exe (the editor, no
# console window) and dist\inpaint-studio\inpaint-studio-cli.exe (--self-test and the headless subcommands).
#
# Run in PowerShell from the repository root, in the environment where the README's install command ran
# (for a CPU-only bundle install torch from https://download.pytorch.org/whl/cpu first):
#     powershell -ExecutionPolicy Bypass -File packaging\build.ps1
#     dist\inpaint-studio\inpaint-studio-cli.exe --self-test
# Not tested on this project's CI (Linux only); the spec's Windows branch sets the .ico icon and a
# version resource generated from editor.__version__.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
$python = if ($env:PYTHON) { $env:PYTHON } else { "python" }
& $python -c "import PyInstaller" 2>$null
if ($LASTEXITCODE -ne 0) {
    & $python -m pip install "pyinstaller>=6.5,<7"
    if ($LASTEXITCODE -ne 0) { throw "pip install pyinstaller failed" }
}
& $python -m PyInstaller --noconfirm --clean --log-level WARN packaging\inpaint-studio.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }
& dist\inpaint-studio\inpaint-studio-cli.exe --self-test
if ($LASTEXITCODE -ne 0) { throw "self-test of the bundle failed" }
$size = (Get-ChildItem -Recurse dist\inpaint-studio | Measure-Object -Property Length -Sum).Sum / 1MB
Write-Host ("built dist\inpaint-studio ({0:N0} MB)" -f $size)
