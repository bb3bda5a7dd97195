{
  description = "zkc: compile KDL specs into production-grade ZooKeeper manifests for Kubernetes GitOps";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAll (pkgs: rec {
        zkc = pkgs.rustPlatform.buildRustPackage {
          pname = "zkc";
          version = (builtins.fromTOML (builtins.readFile ./Cargo.toml)).package.version;
          src = ./.;
          cargoLock.lockFile = ./Cargo.lock;
          # The golden and CLI tests run here too; the end-to-end suite needs Debian's
          # ZooKeeper and runs in .ci/run.
        };
        default = zkc;
      });

      apps = forAll (pkgs: rec {
        zkc = {
          type = "app";
          program = "${self.packages.${pkgs.system}.zkc}/bin/zkc";
        };
        default = zkc;
      });

      devShells = forAll (pkgs: {
        default = pkgs.mkShell {
          packages = with pkgs; [ cargo rustc rustfmt clippy kubectl kustomize zookeeper python3Packages.kazoo ];
        };
      });

      # `nix flake check` fails when out/ is not what the specs produce.
      checks = forAll (pkgs: {
        out-up-to-date = pkgs.runCommand "zkc-out-up-to-date" { } ''
          cp -r ${./specs} specs
          cp -r ${./out} out
          ${self.packages.${pkgs.system}.zkc}/bin/zkc check specs --out out
          touch $out
        '';
      });
    };
}
