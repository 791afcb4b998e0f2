//! What the UI asks for. Widget code only pushes [`Command`]s; the app applies them after
//! the frame is drawn, in one place.

use std::path::PathBuf;

use super::dialogs::DialogPurpose;
use super::features::certificates::CertCommand;
use super::features::doctor::DoctorCommand;
use super::features::document::DocumentCommand;
use super::features::install::InstallCommand;
use super::features::key::KeyCommand;
use super::features::module::ModuleCommand;
use super::features::ssh_client::SshClientCommand;
use super::prefs::ThemeChoice;
use super::screens::screen::Screen;

/// One request from the UI.
#[derive(Debug)]
pub enum Command {
    /// A command of the connection doctor.
    Doctor(DoctorCommand),
    /// A command of the open configuration.
    Document(DocumentCommand),
    /// A command of the installation feature.
    Install(InstallCommand),
    /// A command of the SSH key feature.
    Key(KeyCommand),
    /// A command of the certificates feature.
    Certificates(CertCommand),
    /// A command of the PKCS#11 module feature.
    Module(ModuleCommand),
    /// A command of the SSH client feature.
    SshClient(SshClientCommand),
    /// Show another screen.
    Navigate(Screen),
    /// Show this step of the guided troubleshooting (0 for the first).
    WizardStep(usize),
    /// Show a file dialog.
    Dialog(DialogPurpose),
    /// Put text on the clipboard.
    Copy(String),
    /// Choose the theme.
    SetTheme(ThemeChoice),
    /// Close the modal dialog.
    CloseModal,
    /// Close the window (asks first when there are unsaved changes).
    Quit,
    /// Forget the last message in the status bar.
    DismissNotice,
    /// Hide the notice that file dialogs cannot open here.
    DismissDialogNotice,
    /// Use a path typed into a field, as if a file dialog for `purpose` had answered it.
    PathChosen {
        /// What the path is for.
        purpose: DialogPurpose,
        /// The path typed.
        path: PathBuf,
    },
    /// Show or hide the left navigation (Ctrl+B).
    ToggleNavigation,
    /// Show the About window (F1).
    ShowAbout,
    /// Move the keyboard focus to the screen's first control (F6).
    FocusContent,
}

impl From<DoctorCommand> for Command {
    fn from(command: DoctorCommand) -> Command {
        Command::Doctor(command)
    }
}

impl From<ModuleCommand> for Command {
    fn from(command: ModuleCommand) -> Command {
        Command::Module(command)
    }
}

impl From<CertCommand> for Command {
    fn from(command: CertCommand) -> Command {
        Command::Certificates(command)
    }
}

impl From<KeyCommand> for Command {
    fn from(command: KeyCommand) -> Command {
        Command::Key(command)
    }
}

impl From<InstallCommand> for Command {
    fn from(command: InstallCommand) -> Command {
        Command::Install(command)
    }
}

impl From<DocumentCommand> for Command {
    fn from(command: DocumentCommand) -> Command {
        Command::Document(command)
    }
}

impl From<SshClientCommand> for Command {
    fn from(command: SshClientCommand) -> Command {
        Command::SshClient(command)
    }
}
