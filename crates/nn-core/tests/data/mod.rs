mod augment;
mod download;
mod formats;
mod http_server;
mod pretext;
mod properties;
mod real_files;
mod synthetic;
