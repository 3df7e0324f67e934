package app.kintsugi

import android.content.Context

/**
 * Android-only start-up of the Kintsugi core.
 *
 * Call [installContext] once, in `Application.onCreate`, before the first
 * [Companion]: it hands the `JavaVM` and the application context to iroh,
 * which reads the phone's DNS servers through JNI. Without it iroh falls back
 * to public DNS servers. [androidContextInstalled] tells whether it ran.
 */
object KintsugiAndroid {
    init {
        // The same library JNA loads for the generated bindings; loading it
        // through the JVM as well is what makes the JNI method below visible.
        System.loadLibrary("kintsugi_mobile")
    }

    /** Hands [context]'s application context to the core. Later calls do nothing. */
    fun installContext(context: Context) {
        nativeInstallContext(context.applicationContext)
    }

    @JvmStatic
    private external fun nativeInstallContext(context: Context)
}
