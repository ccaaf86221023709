//! Tauri's build step: embeds tauri.conf.json, the capabilities and the icon into the binary.

fn main() {
    tauri_build::build()
}
