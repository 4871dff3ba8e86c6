//! Who is asking: a signed-in, active user and what their role lets them do.
use super::entities::user;
use crate::account::Role;
use crate::error::AppError;
use uuid::Uuid;

/// A signed-in, active user, loaded fresh for each request.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: Uuid,
    pub company_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub can_manage_chatbot: bool,
}

impl Actor {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Admins only: users and company settings.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::forbidden("Only admins can manage users."))
        }
    }

    /// Admins and users with the "Chatbot & Live Chat settings" permission (F1.9).
    pub fn may_manage_chatbot(&self) -> bool {
        self.is_admin() || self.can_manage_chatbot
    }
}

impl From<user::Model> for Actor {
    fn from(u: user::Model) -> Self {
        Self {
            user_id: u.id,
            company_id: u.company_id,
            name: u.name,
            email: u.email,
            role: Role::from_db(&u.role),
            can_manage_chatbot: u.can_manage_chatbot,
        }
    }
}
