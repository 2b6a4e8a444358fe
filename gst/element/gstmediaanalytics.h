/* GStreamer media analytics
 * Copyright (C) 2026 gst-mediaanalytics contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_MEDIA_ANALYTICS (gst_media_analytics_get_type())
G_DECLARE_FINAL_TYPE(GstMediaAnalytics, gst_media_analytics, GST, MEDIA_ANALYTICS,
                     GstElement)

GST_ELEMENT_REGISTER_DECLARE(mediaanalytics);

G_END_DECLS
