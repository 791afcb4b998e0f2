//! The Certificates screen: the root CA and the PKCS#12 client identity of [3.1], their
//! details, the chain check, and applying them to the configuration.

use std::path::PathBuf;

use egui::{Id, RichText, Ui};

use crate::display::escape;

use super::super::command::Command;
use super::super::dialogs::DialogPurpose;
use super::super::model::Slot;
use super::super::widgets;
use super::ScreenContext;
use crate::app::features::certificates::CertCommand;

/// The widget state of the Certificates screen: the two path fields.
#[derive(Debug, Default)]
pub struct CertView {
    ca: String,
    p12: String,
    ca_shown: Option<PathBuf>,
    p12_shown: Option<PathBuf>,
}

/// The id of the root CA's path field.
pub fn ca_field_id() -> Id {
    Id::unique("cert-ca-path")
}

/// The id of the PKCS#12 file's path field.
pub fn p12_field_id() -> Id {
    Id::unique("cert-p12-path")
}

/// Puts the path of the file opened (by a dialog, a drop or the field) into the field, once.
fn sync_field(buffer: &mut String, shown: &mut Option<PathBuf>, opened: Option<&PathBuf>) {
    if let Some(path) = opened
        && shown.as_ref() != Some(path)
    {
        *buffer = path.display().to_string();
        *shown = Some(path.clone());
    }
}

/// Draws the screen.
pub fn show(ui: &mut Ui, cx: &ScreenContext<'_>, view: &mut CertView, out: &mut Vec<Command>) {
    ui.heading("Certificates");
    ui.add(
        egui::Label::new(
            "The root CA exported from the KMES [3.1.4] and the PKCS#12 client identity [3.1.7]. Type their paths, \
             browse for them, or drop them on the window.",
        )
        .wrap(),
    );
    ui.add_space(4.0);
    sync_field(&mut view.ca, &mut view.ca_shown, cx.certs.ca.path());
    sync_field(&mut view.p12, &mut view.p12_shown, cx.certs.p12.path());
    let (ca, _) = widgets::path_field(
        ui,
        widgets::PathFieldSpec {
            label: "Root CA certificate file",
            hint: "/usr/local/bin/fxpkcs11/root_cert.pem",
            id: ca_field_id(),
            action: Some("Open"),
            browse_enabled: !cx.dialog_open,
            browse_hint: "Choose the root CA certificate exported from the KMES",
            entry: true,
        },
        &mut view.ca,
        cx.focus,
    );
    if ca.submitted {
        out.push(CertCommand::LoadCa(PathBuf::from(view.ca.trim())).into());
    }
    if ca.browse {
        out.push(Command::Dialog(DialogPurpose::OpenCa));
    }
    let (p12, _) = widgets::path_field(
        ui,
        widgets::PathFieldSpec {
            label: "PKCS#12 client identity file",
            hint: "/usr/local/bin/fxpkcs11/export_pkcs12.p12",
            id: p12_field_id(),
            action: Some("Open…"),
            browse_enabled: !cx.dialog_open,
            browse_hint: "Choose the PKCS#12 file exported from the KMES",
            entry: false,
        },
        &mut view.p12,
        cx.focus,
    );
    if p12.submitted {
        out.push(CertCommand::PromptP12(PathBuf::from(view.p12.trim())).into());
    }
    if p12.browse {
        out.push(Command::Dialog(DialogPurpose::OpenP12));
    }
    let configured = cx.doc.map(|doc| doc.file.doc.settings());
    let names_files = configured
        .as_ref()
        .is_some_and(|settings| settings.tls_ca.is_some() || settings.tls_key.is_some());
    if names_files
        && ui
            .button("Inspect the configured files")
            .on_hover_text("Open the files named by PROD-TLS-CA and PROD-TLS-KEY, with PROD-TLS-KEY-PASS")
            .clicked()
    {
        out.push(CertCommand::InspectConfigured.into());
    }
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
        Slot::Failed(_, problem) => widgets::problem(ui, problem),
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
            widgets::problem(ui, problem);
            if ui.button("Enter the password again").clicked() {
                out.push(CertCommand::PromptP12(path.clone()).into());
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
        out.push(CertCommand::ApplyToConfig.into());
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
