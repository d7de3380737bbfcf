//! `rolehop healthcheck`: an ECS container health check without curl in the image. Exit 0 when
//! the rolehop at `--endpoint` answers `/readyz` with 200, 1 otherwise (one line on stderr).

use super::CmdError;
use crate::cli::HealthcheckArgs;

pub fn main(args: &HealthcheckArgs) -> Result<(), CmdError> {
    super::runtime()?
        .block_on(crate::client::readiness(&args.endpoint))
        .map_err(CmdError::failure)?;
    println!("ready");
    Ok(())
}
