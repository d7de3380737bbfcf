//! `rolehop healthcheck`: an ECS container health check without curl in the image. Exit 0 when
//! the rolehop at `--endpoint` answers `/readyz` with 200, 1 otherwise (one line on stderr); 64
//! for an endpoint off this machine (the client rule in `client`).

use super::CmdError;
use crate::cli::HealthcheckArgs;

pub fn main(args: &HealthcheckArgs) -> Result<(), CmdError> {
    let endpoint =
        crate::client::Endpoint::parse(&args.endpoint).map_err(|e| CmdError::usage_of(&e))?;
    endpoint.readiness().map_err(|e| CmdError::failure_of(&e))?;
    println!("ready");
    Ok(())
}
