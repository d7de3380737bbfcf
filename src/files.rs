//! Files written whole, so no reader ever sees a partial one: those holding secrets (the token
//! file, the standalone credential cache) private, and `publish`'s shared binary and profiles
//! with the modes their readers need.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Why a file that only this user should have written is not trusted.
#[derive(Debug)]
pub enum Untrusted {
    /// A symbolic link: whoever can change the link chooses the content.
    Link,
    NotRegular,
    /// Mode bits the caller forbids are set (the file's permission bits).
    Mode(u32),
    /// Owned by another user.
    Owner {
        uid: u32,
        me: u32,
    },
    Io(io::Error),
}

/// Opens `path` for reading without following a link (and without blocking on a FIFO planted
/// there), and hands it over only if it is a regular file owned by this process's effective
/// user with none of the `forbidden` mode bits set.
pub fn open_owned(path: &Path, forbidden: u32) -> Result<fs::File, Untrusted> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let fd = match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::LOOP) => return Err(Untrusted::Link),
        Err(e) => return Err(Untrusted::Io(e.into())),
    };
    let file = fs::File::from(fd);
    let meta = file.metadata().map_err(Untrusted::Io)?;
    let mode = meta.mode() & 0o7777;
    let me = rustix::process::geteuid().as_raw();
    if !meta.is_file() {
        Err(Untrusted::NotRegular)
    } else if mode & forbidden != 0 {
        Err(Untrusted::Mode(mode))
    } else if meta.uid() != me {
        Err(Untrusted::Owner {
            uid: meta.uid(),
            me,
        })
    } else {
        Ok(file)
    }
}

/// Writes `contents` to a new temporary file beside `path` (mode 0600), then renames it over.
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    replace_atomically(path, 0o600, |file| file.write_all(contents))
}

/// Fills a new temporary file beside `path` with `fill`, gives it `mode` exactly (whatever the
/// umask), syncs it, then renames it over `path`: a reader sees the old file or the whole new
/// one, never a partial one. The temporary file is removed on failure.
pub fn replace_atomically(
    path: &Path,
    mode: u32,
    fill: impl FnOnce(&mut fs::File) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(
        ".{}.{:x}.tmp",
        std::process::id(),
        rand::random::<u32>()
    ));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        fill(&mut file)?;
        if mode != 0o600 {
            file.set_permissions(fs::Permissions::from_mode(mode))?;
        }
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Creates `dir` (and its parents) readable by its owner only, if missing.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}
