//! `chronique`: the register of decisions of a Cité éducative.

fn main() {
    eprintln!("chronique : le serveur n'est pas encore disponible dans cette version.");
    std::process::exit(2);
}
