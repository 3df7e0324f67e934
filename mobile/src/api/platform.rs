//! What the host platform has to hand the core before networking.
//!
//! On Android, iroh reads the system's DNS servers through JNI and needs the
//! `JavaVM` and the `Application` context published to `ndk_context`.
//! UniFFI cannot carry a JNI object, so the hand-over is a plain JNI native
//! method behind `app.kintsugi.KintsugiAndroid.installContext(context)`,
//! shipped in the AAR (`mobile/android/`): the app calls it once in
//! `Application.onCreate`, before the first `Companion`. It exists only in
//! the Android build; elsewhere there is nothing to call, and
//! `android_context_installed` says `false`.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set once the Android context was handed to iroh.
static ANDROID_CONTEXT: AtomicBool = AtomicBool::new(false);

/// Whether the app has handed the Android context to the core
/// (`KintsugiAndroid.installContext(applicationContext)`), so that iroh
/// reads the phone's DNS servers rather than falling back to public ones.
/// Always `false` on other platforms, where nothing is needed.
#[uniffi::export]
pub fn android_context_installed() -> bool {
    ANDROID_CONTEXT.load(Ordering::Acquire)
}

#[cfg(target_os = "android")]
mod android {
    use std::ptr;

    use jni_sys::{JNI_OK, JNIEnv, JavaVM, jclass, jobject};

    use super::{ANDROID_CONTEXT, Ordering};

    /// `KintsugiAndroid.nativeInstallContext(context: Context)` (called by
    /// `installContext`, in `mobile/android/`): keeps a global
    /// reference to the application context (never released: it must stay
    /// valid until the process exits) and hands it with the `JavaVM` to
    /// iroh. Later calls do nothing.
    ///
    /// # Safety
    ///
    /// Called by the JVM only, with a valid `env` and a `Context` object.
    #[unsafe(no_mangle)]
    pub unsafe extern "system" fn Java_app_kintsugi_KintsugiAndroid_nativeInstallContext(
        env: *mut JNIEnv,
        _class: jclass,
        context: jobject,
    ) {
        if env.is_null() || context.is_null() || ANDROID_CONTEXT.load(Ordering::Acquire) {
            return;
        }
        // SAFETY: the JVM passes a valid environment for this thread, whose
        // function table outlives the call.
        unsafe {
            let functions = &**env;
            let (Some(get_java_vm), Some(new_global_ref), Some(delete_global_ref)) = (
                functions.GetJavaVM,
                functions.NewGlobalRef,
                functions.DeleteGlobalRef,
            ) else {
                return;
            };
            let mut vm: *mut JavaVM = ptr::null_mut();
            if get_java_vm(env, &mut vm) != JNI_OK || vm.is_null() {
                return;
            }
            let application = new_global_ref(env, context);
            if application.is_null() {
                return;
            }
            if ANDROID_CONTEXT.swap(true, Ordering::AcqRel) {
                // Another thread won the race; ours is not needed.
                delete_global_ref(env, application);
                return;
            }
            iroh::dns::install_android_jni_context(vm.cast(), application.cast());
        }
        tracing::debug!("Android context installed");
    }
}
