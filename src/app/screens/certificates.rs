//! The Certificates screen: the root CA and the PKCS#12 client identity of [3.1], their
//! details, the chain check, and applying them to the configuration.

use egui::{RichText, Ui};

use crate::display::escape;

use super::super::command::Command;
use super::super::dialogs::DialogPurpose;
use super::super::model::Slot;
use super::super::widgets;
use super::ScreenContext;

/// Draws the screen.
pub fn show(ui: &mut Ui, cx: &ScreenContext<'_>, out: &mut Vec<Command>) {
    ui.heading("Certificates");
    ui.label(
        "The root CA exported from the KMES [3.1.4] and the PKCS#12 client identity [3.1.7]. \
         Open them here or drop them on the window.",
    );
    let configured = cx.doc.map(|doc| doc.file.doc.settings());
    let names_files = configured
        .as_ref()
        .is_some_and(|settings| settings.tls_ca.is_some() || settings.tls_key.is_some());
    ui.horizontal(|ui| {
        if ui.button("Open root CA…").clicked() {
            out.push(Command::Dialog(DialogPurpose::OpenCa));
        }
        if ui.button("Open PKCS#12…").clicked() {
            out.push(Command::Dialog(DialogPurpose::OpenP12));
        }
        if names_files
            && ui
                .button("Inspect the configured files")
                .on_hover_text("Open the files named by PROD-TLS-CA and PROD-TLS-KEY, with PROD-TLS-KEY-PASS")
                .clicked()
        {
            out.push(Command::InspectConfigured);
        }
    });
    ui.add_space(8.0);
    ui.label(RichText::new("Chain check").strong().size(16.0));
    match (
        &cx.certs.chain,
        cx.certs.ca.value().is_some() && cx.certs.p12.value().is_some(),
    ) {
        (_, false) => {
            ui.weak("Open both files to check that the client certificate chains to the CA.");
        }
        (None, true) => loading_text(ui, "Checking the chain…"),
        (Some(Ok(())), true) => widgets::success(
            ui,
            "The client certificate chains to the CA, is valid today and allows client authentication.",
        ),
        (Some(Err(problem)), true) => widgets::problem(ui, problem),
    }

    ui.add_space(8.0);
    show_apply(ui, cx, out);
    ui.separator();
    let now = widgets::now_unix();

    ui.add_space(8.0);
    ui.label(RichText::new("Root CA certificate").strong().size(16.0));
    match &cx.certs.ca {
        Slot::Empty => {
            ui.weak("No CA file opened.");
        }
        Slot::Loading(path) => loading(ui, path),
        Slot::Failed(path, problem) => {
            ui.label(path.display().to_string());
            widgets::problem(ui, problem);
        }
        Slot::Loaded(path, bundle) => {
            ui.label(format!("{} — {} certificate(s)", path.display(), bundle.certs.len()));
            for (index, cert) in bundle.certs.iter().enumerate() {
                egui::CollapsingHeader::new(format!("CA certificate {}: {}", index + 1, escape(&cert.subject)))
                    .id_salt(("ca-cert", index))
                    .default_open(index == 0)
                    .show(ui, |ui| widgets::cert_details(ui, "ca", cert, now));
            }
        }
    }

    ui.add_space(8.0);
    ui.label(RichText::new("Client identity (PKCS#12)").strong().size(16.0));
    match &cx.certs.p12 {
        Slot::Empty => {
            ui.weak("No PKCS#12 file opened.");
        }
        Slot::Loading(path) => loading(ui, path),
        Slot::Failed(path, problem) => {
            ui.label(path.display().to_string());
            widgets::problem(ui, problem);
            if ui.button("Enter the password again").clicked() {
                out.push(Command::PromptP12(path.clone()));
            }
        }
        Slot::Loaded(path, identity) => {
            ui.label(format!(
                "{} — {} key, {} certificate(s)",
                escape(&path.display().to_string()),
                escape(&identity.key_type),
                identity.chain.len()
            ));
            if !identity.encryption.is_empty() {
                ui.weak(format!("Protected with {}", escape(&identity.encryption.join("; "))));
            }
            for (index, cert) in identity.chain.iter().enumerate() {
                let role = if index == 0 {
                    "Client certificate"
                } else {
                    "Chain certificate"
                };
                egui::CollapsingHeader::new(format!("{role}: {}", escape(&cert.subject)))
                    .id_salt(("p12-cert", index))
                    .default_open(index == 0)
                    .show(ui, |ui| widgets::cert_details(ui, "p12", cert, now));
            }
        }
    }
}

fn loading(ui: &mut Ui, path: &std::path::Path) {
    loading_text(ui, &format!("Reading {}…", path.display()));
}

fn loading_text(ui: &mut Ui, text: &str) {
    ui.horizontal(|ui| {
        widgets::busy(ui);
        ui.label(text);
    });
}

fn show_apply(ui: &mut Ui, cx: &ScreenContext<'_>, out: &mut Vec<Command>) {
    let both = cx.certs.ca.value().is_some() && cx.certs.p12.value().is_some();
    let reason = match cx.doc {
        _ if !both => Some("Open the root CA and the PKCS#12 file first."),
        None => Some("Open or create a configuration first."),
        Some(doc) if doc.modified => Some("Save or reload the configuration first: applying saves the file."),
        Some(_) if cx.certs.p12_password.is_none() => Some("Open the PKCS#12 file with its password first."),
        Some(_) if cx.certs.importing => Some("Applying…"),
        Some(_) => None,
    };
    let target = cx
        .doc
        .map(|doc| doc.file.path.display().to_string())
        .unwrap_or_default();
    let button = ui
        .add_enabled(reason.is_none(), egui::Button::new("Apply to configuration"))
        .on_hover_text(format!(
            "Copy both files next to {target} and set PROD-TLS-CA, PROD-TLS-KEY, PROD-TLS-KEY-PASS and PROD-TLS-ENABLED"
        ));
    if button.clicked() {
        out.push(Command::ApplyToConfig);
    }
    if let Some(reason) = reason {
        ui.weak(reason);
    }
    match &cx.certs.import_result {
        Some(Ok(text)) => widgets::success(ui, text),
        Some(Err(problem)) => widgets::problem(ui, problem),
        None => {}
    }
}
