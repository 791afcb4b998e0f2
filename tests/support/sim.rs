//! The KMES simulator on a free loopback port with a lab's certificates.

use fxconfig::sim::{self, Fault, SimHandle, SimOptions};

use super::lab::Lab;

impl Lab {
    /// Simulator options on a free loopback port with this lab's server certificate,
    /// trusting its CA and holding the CA key (for the expired-certificate fault).
    pub fn sim_options(&self, fault: Option<Fault>) -> SimOptions {
        SimOptions {
            ca_key: Some(self.files.ca_key.clone()),
            fault,
            ..SimOptions::new(
                "127.0.0.1:0".parse().expect("loopback address"),
                self.files.ca_cert.clone(),
                self.files.server_cert.clone(),
                self.files.server_key.clone(),
            )
        }
    }

    /// Starts the simulator with [`Lab::sim_options`].
    pub fn start_sim(&self, fault: Option<Fault>) -> SimHandle {
        sim::start(self.sim_options(fault)).expect("simulator starts")
    }
}
