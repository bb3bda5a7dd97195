# flake.nix evaluated offline: its outputs are called with a stub of nixpkgs, so the attribute
# structure, the version read from Cargo.toml and the files it names are checked without the
# network. Building the package needs the real nixpkgs and is NOT checked here (README "Install").
# Run: nix-instantiate --eval --strict --json .ci/flake-eval.nix
let
  flake = import ../flake.nix;
  systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
  stub = system: {
    inherit system;
    rustPlatform.buildRustPackage = attrs: attrs // { outPath = "/nix/store/stub-zkc"; };
    mkShell = attrs: attrs;
    runCommand = name: env: script: { inherit name; };
    cargo = "cargo"; rustc = "rustc"; rustfmt = "rustfmt"; clippy = "clippy";
    kubectl = "kubectl"; kustomize = "kustomize"; zookeeper = "zookeeper";
    python3Packages.kazoo = "kazoo";
  };
  nixpkgs = {
    lib.genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
    legacyPackages = builtins.listToAttrs (map (s: { name = s; value = stub s; }) systems);
  };
  self = flake.outputs { inherit self nixpkgs; };
  pkg = self.packages.x86_64-linux.default;
in
{
  description = flake.description;
  pname = pkg.pname;
  version = pkg.version;
  lockFileExists = builtins.pathExists pkg.cargoLock.lockFile;
  program = self.apps.x86_64-linux.default.program;
  check = self.checks.x86_64-linux.out-up-to-date.name;
  devShellPackages = builtins.length self.devShells.x86_64-linux.default.packages;
  systems = builtins.attrNames self.packages;
}
